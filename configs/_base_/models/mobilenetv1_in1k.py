# MobileNetV1 x1.0 (mmkd_plus's; mmpretrain has none) on ImageNet, 1000
# classes.
_base_ = ['./_in1k_classifier.py']
model = dict(backbone=dict(type='MobileNetV1'), head=dict(in_channels=1024))
