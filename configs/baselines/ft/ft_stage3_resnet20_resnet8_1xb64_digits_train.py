_base_ = ['./_base_ft.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(**_base_.pair, distiller=dict(_base_.last, connectors=dict(
    ft_s=dict(in_channel=_base_.channels.last[0], out_channel=_base_.channels.last[1] // 2),
    ft_t=dict(in_channel=_base_.channels.last[1], out_channel=_base_.channels.last[1] // 2))))
load_from = 'work_dirs/ft_stage3_resnet20_resnet8_1xb64_digits_pretrain/epoch_5.pth'
