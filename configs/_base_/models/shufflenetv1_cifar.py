# ShuffleNetV1: CIFAR ShuffleNetV1, groups 3 (RepDistiller's ShuffleV1),
# 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(type='CIFARShuffleNetV1', groups=3, out_indices=(2, )),
    head=dict(in_channels=960))
