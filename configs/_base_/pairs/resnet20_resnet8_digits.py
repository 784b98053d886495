# Pair: resnet20 (teacher) -> resnet8 (student) on the bundled digits.
# A pair file gives the distillation model's skeleton (algorithm, student,
# teacher, teacher checkpoint) and `layers`, the modules each method family
# distils; a method config inherits it and adds model.distiller.
teacher_ckpt = 'work_dirs/resnet20_1xb64_digits/epoch_30.pth'

layers = dict(
    logits=dict(student='head.fc', teacher='head.fc'),
    # the pooled penultimate vector (CRD, SSKD, WCoRD, PKT, CC, RKD)
    feat=dict(student='neck', teacher='neck'),
    # stage outputs (AT, NST, VID, FitNet hint = the middle one)
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
            'backbone.layer1.0.act_out',
            'backbone.layer2.0.act_out',
            'backbone.layer3.0.act_out',
        ],
        teacher=[
            'backbone.layer1.2.act_out',
            'backbone.layer2.2.act_out',
            'backbone.layer3.2.act_out',
        ],
        student_recorder='ModuleInputs',
        teacher_recorder='ModuleInputs'),
    # QuEST: the last stage, 8x8 on both sides
    quest=dict(student='backbone.layer3', teacher='backbone.layer3'),
)

model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    teacher=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', depth=20),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    teacher_ckpt=teacher_ckpt)

find_unused_parameters = True
