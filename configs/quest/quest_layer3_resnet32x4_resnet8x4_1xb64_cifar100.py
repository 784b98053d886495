_base_ = ['./_base_quest_cifar100.py', '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py']
model = dict(**_base_.pair, distiller=_base_.quest)
