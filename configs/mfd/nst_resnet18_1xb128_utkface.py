_base_ = ['./_base_nst.py', '../_base_/pairs/resnet18_resnet18_utkface.py',
          '../_base_/settings/utkface_bs128_50e.py']
model = dict(**_base_.pair, distiller=dict(  # lambda 3 (Table 1)
    _base_.penultimate, distill_losses=dict(loss_nst=dict(loss_weight=3.0))))
