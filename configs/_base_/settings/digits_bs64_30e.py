# Distillation on the bundled digits (30 epochs, batch 64, CPU-sized).
_base_ = [
    '../datasets/digits_bs64.py', '../schedules/digits_bs64_30e.py',
    '../default_runtime.py'
]
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
