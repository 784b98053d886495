_base_ = ['./_base_ft.py', '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(**_base_.pair, distiller=dict(_base_.last, connectors=dict(
    ft_s=dict(in_channel=_base_.channels.last[0], out_channel=_base_.channels.last[1] // 2),
    ft_t=dict(in_channel=_base_.channels.last[1], out_channel=_base_.channels.last[1] // 2))))
load_from = 'work_dirs/ft_stage3_wrn_40_2_wrn_16_2_1xb64_cifar100_pretrain/epoch_30.pth'
