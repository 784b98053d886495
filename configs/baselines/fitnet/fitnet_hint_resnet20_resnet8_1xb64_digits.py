_base_ = ['./_base_fitnet.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(**_base_.pair, distiller=dict(_base_.hint, connectors=dict(hint_s=dict(
    in_channel=_base_.channels.hint[0], out_channel=_base_.channels.hint[1]))))
