# resnet56: CIFAR-style ResNet (depth 56, widths (16, 16, 32, 64)), 100 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARResNet', depth=56, widths=(16, 16, 32, 64), out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
