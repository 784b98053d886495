# Vanilla ShuffleNetV1 on CIFAR-100 with the CRD benchmark recipe (240 epochs,
# batch 64): the "student" column of the tables. As in RepDistiller and
# the QuEST/SSKD supplements, MobileNetV2 and the ShuffleNets start at
# LR 0.01 instead of 0.05 (same x0.1 steps at epochs 150/180/210).
_base_ = [
    '../_base_/models/shufflenetv1_cifar.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_bs64_240e.py', '../_base_/default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
