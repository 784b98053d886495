_base_ = [
    './_base_at.py', '../_base_/pairs/shufflenetv2_shufflenetv2_celeba.py',
    '../_base_/settings/celeba_bs128_50e.py'
]
model = dict(**_base_.pair, distiller=_base_.penultimate)  # lambda 1
