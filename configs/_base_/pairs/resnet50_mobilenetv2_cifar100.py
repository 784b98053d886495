# Pair: ResNet50 (teacher) -> MobileNetV2 (x0.5) (student) on CIFAR-100, from
# the QuEST supplement Table 1. Paper top-1 of the vanilla networks: teacher
# 79.34, student 64.60.
# A pair file gives the distillation model's skeleton (algorithm, student,
# teacher, teacher checkpoint) and `layers`, the modules each method family
# distils; a method config inherits it and adds model.distiller. The teacher
# checkpoint comes from configs/teachers/resnet50_1xb64_cifar100.py.
# MobileNetV2 (x0.5) students train with LR 0.01, not 0.05 (the RepDistiller,
# QuEST and SSKD recipes): method configs set optim_wrapper.optimizer.lr to
# 0.01.
teacher_ckpt = 'work_dirs/resnet50_1xb64_cifar100/epoch_240.pth'

layers = dict(
    logits=dict(student='head.fc', teacher='head.fc'),
    # the pooled penultimate vector (CRD, SSKD, WCoRD, PKT, CC, RKD)
    feat=dict(student='neck', teacher='neck'),
    # stage outputs, RepDistiller's feat[1:-1] (AT, NST, VID)
    stages=dict(
        student=[
            'backbone.blocks.1',
            'backbone.blocks.2',
            'backbone.blocks.4',
            'backbone.blocks.6',
        ],
        teacher=[
            'backbone.layer1',
            'backbone.layer2',
            'backbone.layer3',
            'backbone.layer4',
        ]),
    # FitNet's hint: RepDistiller's hint_layer=2, feat[2]
    hint=dict(student='backbone.blocks.2', teacher='backbone.layer2'),
    # pre-activation stage outputs (AB, OFD); record the modules with
    # the named recorder (ModuleInputs: the input of the stage's last
    # act_out ReLU; ModuleOutputs: a BN, or a block that ends in one)
    preact=dict(
        student=[
            'backbone.blocks.1',
            'backbone.blocks.2',
            'backbone.blocks.4',
            'backbone.blocks.6',
        ],
        teacher=[
            'backbone.layer1.2.act_out',
            'backbone.layer2.3.act_out',
            'backbone.layer3.5.act_out',
            'backbone.layer4.2.act_out',
        ],
        student_recorder='ModuleOutputs',
        teacher_recorder='ModuleInputs'),
    # QuEST (official RN50_MNv2): teacher layer4 (4x4x2048), 2x2
    # average-pooled to the student conv2 map (2x2x1280); the vocabulary
    # is learned on the pooled teacher map
    quest=dict(
        student='backbone.conv2',
        teacher='backbone.layer4',
        downscale=2),
)

model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARMobileNetV2',
            widen_factor=0.5,
            expand_ratio=6,
            out_indices=(7, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=1280,
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
