# Vanilla resnet8 on the bundled digits (CPU, ~1 minute). make demo trains it.
_base_ = [
    '../_base_/models/resnet8_cifar.py', '../_base_/datasets/digits_bs64.py',
    '../_base_/schedules/digits_bs64_30e.py', '../_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=10, topk=(1, )))
