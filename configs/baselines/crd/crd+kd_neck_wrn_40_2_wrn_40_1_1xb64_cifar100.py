_base_ = ['./_base_crd+kd_cifar100.py', '../../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py']
model = dict(**_base_.pair, distiller=dict(connectors=dict(
    crd_s=dict(dim_in=_base_.channels.feat[0]),
    crd_t=dict(dim_in=_base_.channels.feat[1]))))
