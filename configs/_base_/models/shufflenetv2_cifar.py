# ShuffleNetV2: CIFAR ShuffleNetV2, net size 1 (RepDistiller's ShuffleV2),
# 100 classes.
_base_ = ['./_cifar_classifier.py']
model = dict(
    backbone=dict(type='CIFARShuffleNetV2', net_size=1, out_indices=(3, )),
    head=dict(in_channels=1024))
