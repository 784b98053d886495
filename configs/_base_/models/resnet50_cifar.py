# ResNet50: ImageNet-style bottleneck ResNet-50 on 32x32 inputs (3x3 stem,
# no max-pool; RepDistiller's ResNet50), 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(type='CIFARBottleneckResNet', depth=50, out_indices=(3, )),
    head=dict(in_channels=2048))
