# Distillation on CIFAR-100 with the CRD benchmark's recipe (240 epochs,
# batch 64): the data, the schedule, the runtime, and the validation loop
# that reports the student and the teacher.
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_bs64_240e.py',
    '../default_runtime.py'
]
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
