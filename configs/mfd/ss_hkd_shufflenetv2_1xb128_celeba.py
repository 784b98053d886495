_base_ = ['./_base_hkd.py',
          '../_base_/pairs/shufflenetv2_shufflenetv2_celeba.py',
          '../_base_/settings/celeba_bs128_50e_balanced.py']
model = dict(**_base_.pair, distiller=dict(  # T: Table 1
    distill_losses=dict(loss_kd=dict(tau=3))))
