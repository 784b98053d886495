# MobileNetV2: CIFAR MobileNetV2 x0.5, expansion 6 (RepDistiller's
# mobile_half), 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(
        type='CIFARMobileNetV2',
        widen_factor=0.5,
        expand_ratio=6,
        out_indices=(7, )),
    head=dict(in_channels=1280))
