_base_ = ['./_base_wcord+kd_digits.py', '../_base_/pairs/resnet20_resnet8_digits.py']
model = dict(**_base_.pair, distiller=dict(distill_losses=dict(loss_wcord=dict(
    s_channels=_base_.channels.feat[0], t_channels=_base_.channels.feat[1]))))
