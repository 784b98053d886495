# WRN-40-2: CIFAR Wide ResNet (depth 40, widen factor 2), 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(
        type='CIFARWideResNet', depth=40, widen_factor=2, out_indices=(2, )),
    head=dict(in_channels=128))
