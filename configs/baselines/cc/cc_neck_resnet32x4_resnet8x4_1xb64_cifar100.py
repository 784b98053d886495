_base_ = ['./_base_cc.py', '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(**_base_.pair, distiller=dict(connectors=dict(
    cc_s=dict(in_channels=_base_.channels.feat[0]),
    cc_t=dict(in_channels=_base_.channels.feat[1]))))
