# ShuffleNetV1: CIFAR ShuffleNetV1, groups 3 (RepDistiller's ShuffleV1),
# 100 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARShuffleNetV1', groups=3, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=960,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
