_base_ = ['./_base_fsp_init.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_5e_init.py']
model = dict(**_base_.pair, distiller={  # the stem, then the stages
    side: dict(**_base_.stem[side], **_base_.stages[side]) for side in _base_.stem})
