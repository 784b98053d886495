# Vanilla resnet8x4 on CIFAR-100 with the CRD benchmark recipe (240 epochs,
# batch 64): the teacher, or the "student" column of the tables.
_base_ = [
    '../_base_/models/resnet8x4_cifar.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_bs64_240e.py', '../_base_/default_runtime.py'
]
