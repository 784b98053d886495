_base_ = ['./_base_fsp.py', '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(**_base_.pair, distiller={  # the stem, then the stages
    side: dict(**_base_.stem[side], **_base_.stages[side]) for side in _base_.stem})
load_from = 'work_dirs/fsp_stages_wrn_40_2_wrn_16_2_1xb64_cifar100_init/epoch_30.pth'
