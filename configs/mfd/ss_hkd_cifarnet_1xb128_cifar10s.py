_base_ = ['./_base_hkd.py', '../_base_/pairs/cifarnet_cifarnet_cifar10s.py',
          '../_base_/settings/cifar10s_bs128_50e_balanced.py']
model = dict(**_base_.pair, distiller=dict(  # T: Table 1
    distill_losses=dict(loss_kd=dict(tau=3))))
