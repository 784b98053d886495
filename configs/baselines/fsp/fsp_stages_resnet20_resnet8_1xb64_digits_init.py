_base_ = [
    './_base_fsp_resnet20_resnet8_digits.py',
    '../../_base_/settings/digits_bs64_5e_init.py'
]
