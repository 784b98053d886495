_base_ = ['./_base_pkt.py', '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(**_base_.pair)
