# FitNet on DigitsS in two stages, as the CIFAR-10S leaf (25 hint + 50)
# scaled to the 20-epoch schedule: 10 hint epochs (E/2, the MFD code's
# default) of 1/2 * MSE of the penultimate features alone, then the 20
# epochs of CE + HKD (lambda_h 4 -> 1 over them), 30 in all; validation
# (and so the plateau) only after the hint stage. T = 3, the recipe's
# default (DigitsS settings are chosen on a validation split).
_base_ = [
    './_base_fitnet_two_stage.py', '../_base_/settings/digits_s_bs128_20e.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_half_1xb128_digits_s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth',
    distiller=dict(
        # the penultimate features (fc 128, after its ReLU)
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc'))))
train_cfg = dict(max_epochs=30, val_begin=11)  # 10 hint + 20 epochs
custom_hooks = [
    dict(_base_.custom_hooks[0], begin=10),  # lambda_h 4 -> 1 after the hint
    dict(_base_.custom_hooks[1], hint_epochs=10)
]
