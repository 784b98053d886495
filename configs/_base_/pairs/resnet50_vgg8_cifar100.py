# Pair: ResNet50 (teacher) -> vgg8 (student) on CIFAR-100, from the QuEST
# supplement Table 1. Paper top-1 of the vanilla networks: teacher 79.34,
# student 70.36.
# A pair file gives the distillation model's skeleton (algorithm, student,
# teacher, teacher checkpoint) and `layers`, the modules each method family
# distils; a method config inherits it and adds model.distiller. The teacher
# checkpoint comes from configs/teachers/resnet50_1xb64_cifar100.py.
teacher_ckpt = 'work_dirs/resnet50_1xb64_cifar100/epoch_240.pth'

layers = dict(
    logits=dict(student='head.fc', teacher='head.fc'),
    # the pooled penultimate vector (CRD, SSKD, WCoRD, PKT, CC, RKD)
    feat=dict(student='neck', teacher='neck'),
    # stage outputs, RepDistiller's feat[1:-1] (AT, NST, VID)
    stages=dict(
        student=[
            'backbone.relu1',
            'backbone.relu2',
            'backbone.relu3',
            'backbone.relu4',
        ],
        teacher=[
            'backbone.layer1',
            'backbone.layer2',
            'backbone.layer3',
            'backbone.layer4',
        ]),
    # FitNet's hint: RepDistiller's hint_layer=2, feat[2]
    hint=dict(student='backbone.relu2', teacher='backbone.layer2'),
    # pre-activation stage outputs (AB, OFD); record the modules with
    # the named recorder (ModuleInputs: the input of the stage's last
    # act_out ReLU; ModuleOutputs: a BN, or a block that ends in one)
    preact=dict(
        student=[
            'backbone.block1',
            'backbone.block2',
            'backbone.block3',
            'backbone.block4',
        ],
        teacher=[
            'backbone.layer1.2.act_out',
            'backbone.layer2.3.act_out',
            'backbone.layer3.5.act_out',
            'backbone.layer4.2.act_out',
        ],
        student_recorder='ModuleOutputs',
        teacher_recorder='ModuleInputs'),
    # QuEST (official RN50_VGG8): teacher layer4 (4x4x2048), student
    # block4 after its ReLU (relu4, 4x4x512)
    quest=dict(
        student='backbone.relu4',
        teacher='backbone.layer4',
        downscale=1),
)

model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARVGG', depth=8, out_indices=(4, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARBottleneckResNet', depth=50, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=2048,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher_ckpt=teacher_ckpt)

find_unused_parameters = True
