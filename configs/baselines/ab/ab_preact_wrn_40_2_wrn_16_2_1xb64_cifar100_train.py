_base_ = ['./_base_ab.py', '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(**_base_.pair, distiller=_base_.preact)
load_from = 'work_dirs/ab_preact_wrn_40_2_wrn_16_2_1xb64_cifar100_init/epoch_30.pth'
