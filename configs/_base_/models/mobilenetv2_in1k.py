# MobileNetV2 x1.0 (mmpretrain's) on ImageNet, 1000 classes.
_base_ = ['./_in1k_classifier.py']
model = dict(backbone=dict(type='MobileNetV2', widen_factor=1.0), head=dict(in_channels=1280))
