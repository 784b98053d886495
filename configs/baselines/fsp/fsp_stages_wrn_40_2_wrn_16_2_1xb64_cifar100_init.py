_base_ = [
    './_base_fsp_wrn_40_2_wrn_16_2_cifar100.py',
    '../../_base_/settings/cifar100_bs64_30e_init.py'
]
