# HKD on DigitsS, T = 3 (the recipe's; DigitsS settings are chosen on a
# validation split).
_base_ = ['./_base_hkd.py', '../_base_/settings/digits_s_bs128_20e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth'
)
