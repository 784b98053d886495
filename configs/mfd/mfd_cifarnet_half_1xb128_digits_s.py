# MFD on DigitsS, on the penultimate features: lambda 1 (loss weight
# lambda / 2 = 0.5), chosen on the validation split of DigitsS (3 seeds,
# weights 0.25 to 3; table in docs/mfd_notes.md).
_base_ = [
    './_base_mfd.py', '../_base_/settings/digits_s_bs128_20e_balanced.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        distill_losses=dict(loss_mfd=dict(loss_weight=0.5))))
