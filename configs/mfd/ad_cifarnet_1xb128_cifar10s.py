_base_ = ['./scratch_cifarnet_1xb128_cifar10s.py', './_base_ad.py']
model = dict(head=dict(_base_.ad_head, reverse_scale=0.001))  # Table 1
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
