# AD+FitNet on DigitsS: the one-stage FitNet (HKD, T = 3, + 1/2 * MSE of the
# penultimate features at once, the supplement's form) with the AD head
# (reversal strength 2.0, as the DigitsS AD leaf).
_base_ = [
    './_base_fitnet.py', '../_base_/settings/digits_s_bs128_20e.py',
    './_base_ad.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py',
        head=dict(
            type='AdversarialClsHead',
            num_groups=2,
            hidden=32,
            reverse_scale=2.0)),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc'))))
model['architecture']['head'].update(_base_.ad_head)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
