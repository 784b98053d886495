_base_ = ['./_base_quest_cifar10.py', '../_base_/pairs/wrn_40_1_wrn_16_1_cifar10.py']
model = dict(**_base_.pair, distiller=_base_.quest)
