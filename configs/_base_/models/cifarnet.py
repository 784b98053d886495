# CIFARNet: the MFD supplement's 6-conv CNN (conv 32-32-64-64-128-128, fc
# 2048 -> 256), no neck, a linear head on the 256-d features; 10 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARNet'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, )))
