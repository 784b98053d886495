_base_ = ['./_base_at.py', '../_base_/pairs/cifarnet_cifarnet_cifar10s.py',
          '../_base_/settings/cifar10s_bs128_50e.py']
model = dict(**_base_.pair, distiller=_base_.conv6)  # lambda 1 (Table 1)
