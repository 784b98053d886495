_base_ = ['./_base_wcord+kd_cifar100.py', '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py']
model = dict(**_base_.pair, distiller=dict(distill_losses=dict(loss_wcord=dict(
    s_channels=_base_.channels.feat[0], t_channels=_base_.channels.feat[1]))))
