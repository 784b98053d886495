_base_ = ['./_base_quest_cifar100.py', '../_base_/pairs/resnet110_resnet20_cifar100.py']
model = dict(**_base_.pair, distiller=_base_.quest)
