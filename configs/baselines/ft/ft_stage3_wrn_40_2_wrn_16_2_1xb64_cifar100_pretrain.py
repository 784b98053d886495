_base_ = [
    './_base_ft_pretrain.py',
    '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../../_base_/settings/cifar100_bs64_30e_init.py'
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
optim_wrapper = dict(optimizer=dict(lr=0.01))
