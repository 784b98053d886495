_base_ = ['./_base_quest_cifar100.py', '../_base_/pairs/resnet32x4_shufflenetv1_cifar100.py']
model = dict(**_base_.pair, distiller=_base_.quest)
# MobileNetV2 and ShuffleNet students train at a 5x lower LR
optim_wrapper = dict(optimizer=dict(lr=0.01))
