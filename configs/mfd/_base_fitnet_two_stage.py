# FitNet recipe of the MFD tables with its hint stage (the MFD code's
# default, used for FitNet and SS+FitNet): 25 epochs (E/2) of 1/2 * MSE of
# the penultimate features alone (no CE, no validation, no LR step), then
# 50 epochs of CE + lambda_h * KD(T) with lambda_h annealed 4 -> 1 over
# them, without the hint loss; one Adam throughout. Leaves set
# `train_cfg = dict(max_epochs=75, val_begin=26)` (a setting owns train_cfg).
_base_ = ['./_base_fitnet.py']
custom_hooks = [
    dict(
        type='mmrazor.LinearLossWeightHook',
        loss_name='loss_kd',
        start=4.0,
        end=1.0,
        begin=25),
    dict(
        type='mmrazor.HintStageHook',
        hint_epochs=25,
        hint_losses=['loss_hint'])
]
