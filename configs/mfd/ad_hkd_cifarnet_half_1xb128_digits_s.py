# AD+HKD on DigitsS: HKD (T = 3) with the AD head (reversal strength 2.0, the
# code's default, as the DigitsS AD leaf), AD's own optimizer and plateaus.
_base_ = [
    './_base_hkd.py', '../_base_/settings/digits_s_bs128_20e.py',
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
    teacher_ckpt='work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth'
)
model['architecture']['head'].update(_base_.ad_head)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
