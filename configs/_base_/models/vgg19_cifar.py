# vgg19: CIFAR VGG-19 with batch norm (RepDistiller's vgg19_bn), 100
# classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARVGG', depth=19, out_indices=(4, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
