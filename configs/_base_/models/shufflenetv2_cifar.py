# ShuffleNetV2: CIFAR ShuffleNetV2, net size 1 (RepDistiller's ShuffleV2),
# 100 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARShuffleNetV2', net_size=1, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
