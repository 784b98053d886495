# WRN-16-2: CIFAR Wide ResNet (depth 16, widen factor 2), 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(
        type='CIFARWideResNet', depth=16, widen_factor=2, out_indices=(2, )),
    head=dict(in_channels=128))
