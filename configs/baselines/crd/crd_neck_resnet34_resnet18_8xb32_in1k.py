_base_ = ['./_base_crd_in1k.py', '../../_base_/pairs/resnet34_resnet18_in1k.py']
model = dict(**_base_.pair, distiller=dict(connectors=dict(
    crd_s=dict(dim_in=_base_.channels.feat[0]),
    crd_t=dict(dim_in=_base_.channels.feat[1]))))
