# Distillation on CIFAR-10 (200 epochs, batch 128).
_base_ = [
    '../datasets/cifar10_bs128.py', '../schedules/cifar10_bs128_200e.py',
    '../default_runtime.py'
]
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
