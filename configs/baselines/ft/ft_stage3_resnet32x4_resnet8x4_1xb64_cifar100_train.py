_base_ = [
    './_base_ft.py',
    '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/settings/cifar100_bs64_240e.py'
]
s, t = _base_.channels.stages[0][-1], _base_.channels.stages[1][-1]
model = dict(
    **_base_.pair,
    distiller=dict(
        _base_.last,
        connectors=dict(
            ft_s=dict(in_channel=s, out_channel=t // 2),
            ft_t=dict(in_channel=t, out_channel=t // 2))))
del s, t
load_from = 'work_dirs/ft_stage3_resnet32x4_resnet8x4_1xb64_cifar100_pretrain/epoch_30.pth'
