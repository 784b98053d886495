_base_ = ['./_base_fitnet_two_stage.py',
          '../_base_/pairs/resnet18_resnet18_utkface.py',
          '../_base_/settings/utkface_bs128_50e.py']
model = dict(**_base_.pair, distiller=dict(  # T: Table 1
    _base_.penultimate, distill_losses=dict(loss_kd=dict(tau=5))))
train_cfg = dict(max_epochs=75, val_begin=26)  # 25 hint + 50 epochs
