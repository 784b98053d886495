_base_ = ['./_base_hkd.py',
          '../_base_/pairs/shufflenetv2_shufflenetv2_celeba.py',
          '../_base_/settings/celeba_bs128_50e.py', './_base_ad.py']
model = dict(**_base_.pair, distiller=dict(  # T: Table 1
    distill_losses=dict(loss_kd=dict(tau=5))))
model['architecture']['head'].update(_base_.ad_head, reverse_scale=10.0)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
