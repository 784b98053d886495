# Vanilla WRN-16-1 on CIFAR-10 with the QuEST/SP CIFAR-10 recipe (200
# epochs, batch 128, LR 0.1 x0.2 at 60/120/160): the student trained
# without distillation (the solid line of the QuEST supplement's Figure 1).
_base_ = [
    '../_base_/models/wrn_16_1_cifar.py',
    '../_base_/datasets/cifar10_bs128.py',
    '../_base_/schedules/cifar10_bs128_200e.py', '../_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=10))
