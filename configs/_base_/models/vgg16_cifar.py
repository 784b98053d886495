# vgg16: CIFAR VGG-16 with batch norm (RepDistiller's vgg16_bn), 100
# classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(type='CIFARVGG', depth=16, out_indices=(4, )),
    head=dict(in_channels=512))
