# Pair: resnet110 (teacher) -> resnet32 (student) on CIFAR-100, from the
# QuEST supplement Table 1 and the WCoRD supplement Table 1 (CRD/WCoRD).
# Paper top-1 of the vanilla networks: teacher 74.31, student 71.14.
# A pair file gives the distillation model's skeleton (algorithm, student,
# teacher, teacher checkpoint) and `layers`, the modules each method family
# distils; a method config inherits it and adds model.distiller. The teacher
# checkpoint comes from configs/teachers/resnet110_1xb64_cifar100.py.
teacher_ckpt = 'work_dirs/resnet110_1xb64_cifar100/epoch_240.pth'

layers = dict(
    logits=dict(student='head.fc', teacher='head.fc'),
    # the pooled penultimate vector (CRD, SSKD, WCoRD, PKT, CC, RKD)
    feat=dict(student='neck', teacher='neck'),
    # stage outputs, RepDistiller's feat[1:-1] (AT, NST, VID)
    stages=dict(
        student=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
        teacher=['backbone.layer1', 'backbone.layer2', 'backbone.layer3']),
    # FitNet's hint: RepDistiller's hint_layer=2, feat[2]
    hint=dict(student='backbone.layer2', teacher='backbone.layer2'),
    # pre-activation stage outputs (AB, OFD); record the modules with
    # the named recorder (ModuleInputs: the input of the stage's last
    # act_out ReLU; ModuleOutputs: a BN, or a block that ends in one)
    preact=dict(
        student=[
            'backbone.layer1.4.act_out',
            'backbone.layer2.4.act_out',
            'backbone.layer3.4.act_out',
        ],
        teacher=[
            'backbone.layer1.17.act_out',
            'backbone.layer2.17.act_out',
            'backbone.layer3.17.act_out',
        ],
        student_recorder='ModuleInputs',
        teacher_recorder='ModuleInputs'),
    # QuEST (official RN110_RN32): layer3 (ends in ReLU), 8x8 on both sides
    quest=dict(
        student='backbone.layer3',
        teacher='backbone.layer3',
        downscale=1),
)

model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARResNet', depth=32, widths=(16, 16, 32, 64),
            out_indices=(2, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARResNet', depth=110, widths=(16, 16, 32, 64),
            out_indices=(2, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher_ckpt=teacher_ckpt)

find_unused_parameters = True
