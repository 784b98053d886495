_base_ = ['./_base_mfd.py', '../_base_/pairs/cifarnet_cifarnet_cifar10s.py',
          '../_base_/settings/cifar10s_bs128_50e_balanced.py']
model = dict(**_base_.pair, distiller=_base_.penultimate)  # lambda 3
