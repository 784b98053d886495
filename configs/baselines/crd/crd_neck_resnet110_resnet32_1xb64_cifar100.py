_base_ = ['./_base_crd_cifar100.py', '../../_base_/pairs/resnet110_resnet32_cifar100.py']
model = dict(**_base_.pair, distiller=dict(connectors=dict(
    crd_s=dict(dim_in=_base_.channels.feat[0]),
    crd_t=dict(dim_in=_base_.channels.feat[1]))))
