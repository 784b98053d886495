_base_ = ['./_base_wcord_in1k.py', '../_base_/pairs/resnet34_resnet18_in1k.py']
model = dict(**_base_.pair, distiller=dict(distill_losses=dict(loss_wcord=dict(
    s_channels=_base_.channels.feat[0], t_channels=_base_.channels.feat[1]))))
