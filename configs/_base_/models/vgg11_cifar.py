# vgg11: CIFAR VGG-11 with batch norm (RepDistiller's vgg11_bn), 100
# classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(type='CIFARVGG', depth=11, out_indices=(4, )),
    head=dict(in_channels=512))
