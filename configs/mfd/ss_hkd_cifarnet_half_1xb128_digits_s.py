# SS+HKD on DigitsS: HKD on (group, label) balanced batches, T = 3 (the
# recipe's default).
_base_ = ['./_base_hkd.py',
          '../_base_/pairs/cifarnet_half_cifarnet_half_digits_s.py',
          '../_base_/settings/digits_s_bs128_20e_balanced.py']
model = dict(**_base_.pair)
