# MobileNetV2: CIFAR MobileNetV2 x0.5, expansion 6 (RepDistiller's
# mobile_half), 100 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARMobileNetV2', widen_factor=0.5, expand_ratio=6,
        out_indices=(7, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
