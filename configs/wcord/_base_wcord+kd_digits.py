# WCoRD+KD on digits: Hinton KD (T = 4, weight 1) beside WCoRD.
_base_ = ['./_base_wcord_digits.py', '../_base_/kd_term.py']
model = dict(distiller=_base_.kd_term)
