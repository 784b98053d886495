# vgg8: CIFAR VGG-8 with batch norm (RepDistiller's vgg8_bn), 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(type='CIFARVGG', depth=8, out_indices=(4, )),
    head=dict(in_channels=512))
