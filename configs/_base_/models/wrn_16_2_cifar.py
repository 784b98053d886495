# WRN-16-2: CIFAR Wide ResNet (depth 16, widen factor 2), 100 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARWideResNet', depth=16, widen_factor=2, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
