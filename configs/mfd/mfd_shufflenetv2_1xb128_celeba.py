_base_ = [
    './_base_mfd.py', '../_base_/pairs/shufflenetv2_shufflenetv2_celeba.py',
    '../_base_/settings/celeba_bs128_50e_balanced.py'
]
model = dict(**_base_.pair, distiller=dict(  # lambda 7
    _base_.penultimate, distill_losses=dict(loss_mfd=dict(loss_weight=3.5))))
