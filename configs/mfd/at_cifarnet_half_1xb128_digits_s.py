# AT on DigitsS: 1/2 * lambda * AT on the conv6 map (64x8x8), lambda 1 (the
# recipe's, Table 1's CIFAR-10S value).
_base_ = ['./_base_at.py',
          '../_base_/pairs/cifarnet_half_cifarnet_half_digits_s.py',
          '../_base_/settings/digits_s_bs128_20e.py']
model = dict(**_base_.pair, distiller=_base_.conv6)
