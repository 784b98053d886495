_base_ = ['./_base_fsp_init.py', '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py', '../../_base_/settings/cifar100_bs64_30e_init.py']
model = dict(**_base_.pair, distiller={  # the stem, then the stages
    side: dict(**_base_.stem[side], **_base_.stages[side]) for side in _base_.stem})
