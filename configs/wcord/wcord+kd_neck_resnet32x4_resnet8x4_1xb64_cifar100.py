_base_ = ['./_base_wcord+kd_cifar100.py', '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py']
model = dict(**_base_.pair, distiller=dict(distill_losses=dict(loss_wcord=dict(
    s_channels=_base_.channels.feat[0], t_channels=_base_.channels.feat[1]))))
