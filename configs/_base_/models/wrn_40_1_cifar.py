# WRN-40-1: CIFAR Wide ResNet (depth 40, widen factor 1), 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(
        type='CIFARWideResNet', depth=40, widen_factor=1, out_indices=(2, )),
    head=dict(in_channels=64))
