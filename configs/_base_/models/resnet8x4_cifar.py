# resnet8x4: CIFAR-style ResNet (depth 8, widths (32, 64, 128, 256)), 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(
        type='CIFARResNet',
        depth=8,
        widths=(32, 64, 128, 256),
        out_indices=(2, )),
    head=dict(in_channels=256))
