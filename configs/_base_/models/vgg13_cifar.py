# vgg13: CIFAR VGG-13 with batch norm (RepDistiller's vgg13_bn), 100
# classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARVGG', depth=13, out_indices=(4, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
