_base_ = ['./_base_fitnet.py', '../_base_/pairs/resnet18_resnet18_utkface.py',
          '../_base_/settings/utkface_bs128_50e.py', './_base_ad.py']
model = dict(**_base_.pair, distiller=dict(  # T: Table 1
    _base_.penultimate, distill_losses=dict(loss_kd=dict(tau=5))))
model['architecture']['head'].update(  # 4 race groups; lambda: Table 1
    _base_.ad_head, num_groups=4, reverse_scale=1.0)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
