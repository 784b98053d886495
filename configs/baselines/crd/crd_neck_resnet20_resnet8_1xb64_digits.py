_base_ = ['./_base_crd_digits.py', '../../_base_/pairs/resnet20_resnet8_digits.py']
model = dict(**_base_.pair, distiller=dict(connectors=dict(
    crd_s=dict(dim_in=_base_.channels.feat[0]),
    crd_t=dict(dim_in=_base_.channels.feat[1]))))
