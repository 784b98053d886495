# vgg13: CIFAR VGG-13 with batch norm (RepDistiller's vgg13_bn), 100
# classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(type='CIFARVGG', depth=13, out_indices=(4, )),
    head=dict(in_channels=512))
