_base_ = ['./_base_at.py', '../_base_/pairs/resnet18_resnet18_utkface.py',
          '../_base_/settings/utkface_bs128_50e.py']
model = dict(**_base_.pair, distiller=dict(  # lambda 30 (Table 1) / 2
    _base_.penultimate, distill_losses=dict(loss_at=dict(loss_weight=15.0))))
