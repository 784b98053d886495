_base_ = ['./scratch_shufflenetv2_1xb128_celeba.py', './_base_ad.py']
model = dict(head=dict(_base_.ad_head, reverse_scale=10.0))  # Table 1
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
