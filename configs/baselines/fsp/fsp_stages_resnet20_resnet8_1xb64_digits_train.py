_base_ = ['./_base_fsp.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(**_base_.pair, distiller={  # the stem, then the stages
    side: dict(**_base_.stem[side], **_base_.stages[side]) for side in _base_.stem})
load_from = 'work_dirs/fsp_stages_resnet20_resnet8_1xb64_digits_init/epoch_5.pth'
