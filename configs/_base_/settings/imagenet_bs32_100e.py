# Distillation on ImageNet: 8 GPUs x 32 images, 100 epochs.
_base_ = [
    '../datasets/imagenet_bs32.py', '../schedules/imagenet_bs256_100e.py',
    '../default_runtime.py'
]
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
