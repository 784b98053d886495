_base_ = ['./_base_fitnet.py', '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(**_base_.pair, distiller=dict(_base_.hint, connectors=dict(hint_s=dict(
    in_channel=_base_.channels.hint[0], out_channel=_base_.channels.hint[1]))))
