# vgg16: CIFAR VGG-16 with batch norm (RepDistiller's vgg16_bn), 100
# classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARVGG', depth=16, out_indices=(4, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
