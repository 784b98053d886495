_base_ = ['./_base_ft_pretrain.py', '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py', '../../_base_/settings/cifar100_bs64_30e_init.py']
model = dict(**_base_.pair, distiller=dict(_base_.last, connectors=dict(
    ft_s=dict(in_channel=_base_.channels.last[0], out_channel=_base_.channels.last[1] // 2),
    ft_t=dict(in_channel=_base_.channels.last[1], out_channel=_base_.channels.last[1] // 2))))
optim_wrapper = dict(optimizer=dict(lr=0.01))
