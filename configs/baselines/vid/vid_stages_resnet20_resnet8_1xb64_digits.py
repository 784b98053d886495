_base_ = [
    './_base_vid.py',
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/settings/digits_bs64_30e.py'
]
s, t = _base_.channels.stages
model = dict(
    **_base_.pair,
    distiller=dict(
        _base_.stages,
        connectors={
            f'vid_s{i + 1}': dict(in_channels=s[i], out_channels=t[i])
            for i in range(3)
        },
        distill_losses={
            f'loss_vid_{i + 1}': dict(num_channels=t[i])
            for i in range(3)
        }))
del s, t
