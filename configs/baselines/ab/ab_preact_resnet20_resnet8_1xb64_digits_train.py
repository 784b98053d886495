_base_ = ['./_base_ab.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(**_base_.pair, distiller=_base_.preact)
load_from = 'work_dirs/ab_preact_resnet20_resnet8_1xb64_digits_init/epoch_5.pth'
