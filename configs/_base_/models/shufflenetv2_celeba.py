# ShuffleNetV2 x1.0 (mmpretrain's) for a binary CelebA attribute; trained
# from scratch at 176 px (conv5, backbone.layers.3: 1024 x 6 x 6).
_base_ = ['./_in1k_classifier.py']
model = dict(
    backbone=dict(type='ShuffleNetV2', widen_factor=1.0, out_indices=(3, )),
    head=dict(num_classes=2, in_channels=1024, topk=(1, )))
