_base_ = ['./_base_vid.py', '../../_base_/pairs/resnet20_resnet8_digits.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(**_base_.pair, distiller=dict(_base_.stages, connectors={
    f'vid_s{i + 1}': dict(in_channels=s, out_channels=t) for i, (s, t) in enumerate(zip(*_base_.channels.stages))
}, distill_losses={f'loss_vid_{i + 1}': dict(num_channels=t) for i, t in enumerate(_base_.channels.stages[1])}))
