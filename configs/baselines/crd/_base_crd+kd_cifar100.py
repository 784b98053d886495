# CRD+KD on CIFAR-100: Hinton KD (T = 4, weight 1) beside CRD.
_base_ = ['./_base_crd_cifar100.py', '../../_base_/kd_term.py']
model = dict(distiller=_base_.kd_term)
