_base_ = [
    './_base_mfd.py', '../_base_/pairs/cifarnet_half_cifarnet_half_digits_s.py',
    '../_base_/settings/digits_s_bs128_20e_balanced.py'
]
model = dict(**_base_.pair, distiller=_base_.penultimate)
