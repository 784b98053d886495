# AD+HKD on DigitsS: HKD (T = 3) with the AD student
# (ad_cifarnet_half_1xb128_digits_s.py's network: reversal strength 2.0, the
# code's default), AD's own optimizer and plateaus.
_base_ = ['./_base_hkd.py', '../_base_/settings/digits_s_bs128_20e_ad.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/ad_cifarnet_half_1xb128_digits_s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth'
)
