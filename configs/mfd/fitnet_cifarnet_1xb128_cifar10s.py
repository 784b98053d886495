_base_ = ['./_base_fitnet_two_stage.py',
          '../_base_/pairs/cifarnet_cifarnet_cifar10s.py',
          '../_base_/settings/cifar10s_bs128_50e.py']
model = dict(**_base_.pair, distiller=dict(  # T: Table 1
    _base_.penultimate, distill_losses=dict(loss_kd=dict(tau=1))))
train_cfg = dict(max_epochs=75, val_begin=26)  # 25 hint + 50 epochs
