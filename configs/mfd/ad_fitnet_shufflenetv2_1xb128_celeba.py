_base_ = ['./_base_fitnet.py',
          '../_base_/pairs/shufflenetv2_shufflenetv2_celeba.py',
          '../_base_/settings/celeba_bs128_50e.py', './_base_ad.py']
model = dict(**_base_.pair, distiller=dict(  # T: Table 1
    _base_.penultimate, distill_losses=dict(loss_kd=dict(tau=1))))
model['architecture']['head'].update(_base_.ad_head, reverse_scale=1.0)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
