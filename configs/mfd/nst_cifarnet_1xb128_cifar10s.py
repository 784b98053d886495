_base_ = ['./_base_nst.py', '../_base_/pairs/cifarnet_cifarnet_cifar10s.py',
          '../_base_/settings/cifar10s_bs128_50e.py']
model = dict(**_base_.pair, distiller=_base_.conv6)  # lambda 30 (Table 1)
