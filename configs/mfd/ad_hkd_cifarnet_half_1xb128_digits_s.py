# AD+HKD on DigitsS: HKD (T = 3) with the AD head (reversal strength 2.0, the
# code's default, as the DigitsS AD leaf), AD's own optimizer and plateaus.
_base_ = ['./_base_hkd.py',
          '../_base_/pairs/cifarnet_half_cifarnet_half_digits_s.py',
          '../_base_/settings/digits_s_bs128_20e.py', './_base_ad.py']
model = dict(**_base_.pair)
model['architecture']['head'].update(_base_.ad_head)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
