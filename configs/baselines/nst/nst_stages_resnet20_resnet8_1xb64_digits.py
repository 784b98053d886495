_base_ = ['./_base_nst.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(**_base_.pair, distiller=_base_.stages)
