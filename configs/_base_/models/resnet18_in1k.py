# ResNet-18 (mmpretrain's ResNet, torchvision layout) on ImageNet, 1000 classes.
_base_ = ['./_in1k_classifier.py']
model = dict(
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    head=dict(in_channels=512))
