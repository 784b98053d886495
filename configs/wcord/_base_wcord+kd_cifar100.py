# WCoRD+KD on cifar100: Hinton KD (T = 4, weight 1) beside WCoRD.
_base_ = ['./_base_wcord_cifar100.py', '../_base_/kd_term.py']
model = dict(distiller=_base_.kd_term)
