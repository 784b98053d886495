# resnet8x4: CIFAR-style ResNet (depth 8, widths (32, 64, 128, 256)), 100 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARResNet', depth=8, widths=(32, 64, 128, 256), out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
