# The classifier around every ImageNet backbone: global average pooling and
# a linear head for 1000 classes.
model = dict(
    type='ImageClassifier',
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
