# ResNet-18 (mmpretrain's, torchvision layout) for UTKFace's 3 age bins;
# trained from scratch at 176 px (layer4: 512 x 6 x 6).
_base_ = ['./_in1k_classifier.py']
model = dict(
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    head=dict(num_classes=3, in_channels=512, topk=(1, )))
