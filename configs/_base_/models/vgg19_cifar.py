# vgg19: CIFAR VGG-19 with batch norm (RepDistiller's vgg19_bn), 100
# classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(type='CIFARVGG', depth=19, out_indices=(4, )),
    head=dict(in_channels=512))
