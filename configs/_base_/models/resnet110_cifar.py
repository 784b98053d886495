# resnet110: CIFAR-style ResNet (depth 110, widths (16, 16, 32, 64)), 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(
        type='CIFARResNet',
        depth=110,
        widths=(16, 16, 32, 64),
        out_indices=(2, )),
    head=dict(in_channels=64))
