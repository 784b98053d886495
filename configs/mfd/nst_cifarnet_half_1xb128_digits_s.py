# NST on DigitsS: lambda * NST on the conv6 map (64x8x8), lambda 30 (the
# recipe's, Table 1's CIFAR-10S value).
_base_ = ['./_base_nst.py', '../_base_/settings/digits_s_bs128_20e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.features.15')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.features.15'))))
