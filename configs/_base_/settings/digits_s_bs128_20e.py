# Distillation on DigitsS with MFD's recipe, shortened for CPUs: 20 epochs.
_base_ = [
    '../datasets/digits_s_bs128.py', '../schedules/adam_plateau_50e.py',
    '../default_runtime.py'
]
train_cfg = dict(max_epochs=20)
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
