# The classifier around every CIFAR zoo backbone: global average pooling and
# a linear head for 100 classes. The CE weight stays at its default so that
# a distillation recipe can set it (KD's 0.1).
model = dict(
    type='ImageClassifier',
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
