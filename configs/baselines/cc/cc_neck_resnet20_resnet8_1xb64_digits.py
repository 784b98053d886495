_base_ = ['./_base_cc.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(**_base_.pair, distiller=dict(connectors=dict(
    cc_s=dict(in_channels=_base_.channels.feat[0]),
    cc_t=dict(in_channels=_base_.channels.feat[1]))))
