# AD+FitNet on DigitsS: the one-stage FitNet (HKD, T = 3, + 1/2 * MSE of the
# penultimate features at once, the supplement's form) with the AD student
# (ad_cifarnet_half_1xb128_digits_s.py's network: reversal strength 2.0).
_base_ = ['./_base_fitnet.py', '../_base_/settings/digits_s_bs128_20e_ad.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/ad_cifarnet_half_1xb128_digits_s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc'))))
