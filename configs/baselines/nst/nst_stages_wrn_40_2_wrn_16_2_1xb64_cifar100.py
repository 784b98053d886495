_base_ = ['./_base_nst.py', '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(**_base_.pair, distiller=_base_.stages)
