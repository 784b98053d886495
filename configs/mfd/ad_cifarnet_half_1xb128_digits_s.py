_base_ = ['./scratch_cifarnet_half_1xb128_digits_s.py', './_base_ad.py']
model = dict(head=_base_.ad_head)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
