# ResNet50: ImageNet-style bottleneck ResNet-50 on 32x32 inputs (3x3 stem,
# no max-pool; RepDistiller's ResNet50), 100 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARBottleneckResNet', depth=50, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5)))
