_base_ = ['./_base_hkd.py', '../_base_/pairs/resnet18_resnet18_utkface.py',
          '../_base_/settings/utkface_bs128_50e_balanced.py']
model = dict(**_base_.pair, distiller=dict(  # T: Table 1
    distill_losses=dict(loss_kd=dict(tau=5))))
