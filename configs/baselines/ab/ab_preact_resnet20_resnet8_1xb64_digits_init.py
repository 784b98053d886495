_base_ = ['./_base_ab_init.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_5e_init.py']
model = dict(**_base_.pair, distiller=_base_.preact)
