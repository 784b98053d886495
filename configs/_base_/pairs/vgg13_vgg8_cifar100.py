# Pair: vgg13 (teacher) -> vgg8 (student) on CIFAR-100, from the QuEST
# supplement Table 1 and the WCoRD supplement Table 1 (CRD/WCoRD). Paper
# top-1 of the vanilla networks: teacher 74.64, student 70.36.
# A pair file gives the distillation model's skeleton (algorithm, student,
# teacher, teacher checkpoint) and `layers`, the modules each method family
# distils; a method config inherits it and adds model.distiller. The teacher
# checkpoint comes from configs/teachers/vgg13_1xb64_cifar100.py.
teacher_ckpt = 'work_dirs/vgg13_1xb64_cifar100/epoch_240.pth'

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
            'backbone.relu1',
            'backbone.relu2',
            'backbone.relu3',
            'backbone.relu4',
        ]),
    # FitNet's hint: RepDistiller's hint_layer=2, feat[2]
    hint=dict(student='backbone.relu2', teacher='backbone.relu2'),
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
            'backbone.block1',
            'backbone.block2',
            'backbone.block3',
            'backbone.block4',
        ],
        student_recorder='ModuleOutputs',
        teacher_recorder='ModuleOutputs'),
    # QuEST (official VGG13_VGG8): block4 before its ReLU, 4x4 on both
    # sides; this pair uses QuEST loss weight 2.0 (METHODS.md 1.4)
    quest=dict(
        student='backbone.block4',
        teacher='backbone.block4',
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
            type='CIFARVGG', depth=13, out_indices=(4, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher_ckpt=teacher_ckpt)

find_unused_parameters = True
