_base_ = ['./scratch_resnet18_1xb128_utkface.py', './_base_ad.py']
model = dict(  # 4 race groups; lambda: Table 1
    head=dict(_base_.ad_head, num_groups=4, reverse_scale=0.01))
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
