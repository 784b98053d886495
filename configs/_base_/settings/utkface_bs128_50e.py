# Distillation on UTKFace with MFD's recipe (Adam 1e-3, no weight decay,
# plateau schedule on the test loss, 50 epochs, batch 128).
_base_ = [
    '../datasets/utkface_bs128.py', '../schedules/adam_plateau_50e.py',
    '../default_runtime.py'
]
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
