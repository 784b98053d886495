_base_ = [
    './_base_ab_resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/settings/cifar100_bs64_30e_init.py'
]
