# WRN-40-1: CIFAR Wide ResNet (depth 40, widen factor 1), 100 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARWideResNet', depth=40, widen_factor=1, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
