# Pair: WRN-40-1 (teacher) -> WRN-16-1 (student) on CIFAR-10, the pair of
# the QuEST supplement's CIFAR-10 experiments (C.1 and Figure 1, error vs
# K). The supplement gives no vanilla top-1 for it.
# A pair file gives the distillation model's skeleton (algorithm, student,
# teacher, teacher checkpoint) and `layers`, the modules each method family
# distils; a method config inherits it and adds model.distiller. The teacher
# checkpoint comes from configs/teachers/wrn_40_1_1xb128_cifar10.py.
teacher_ckpt = 'work_dirs/wrn_40_1_1xb128_cifar10/epoch_200.pth'

layers = dict(
    logits=dict(student='head.fc', teacher='head.fc'),
    # the pooled penultimate vector (CRD, SSKD, WCoRD, PKT, CC, RKD)
    feat=dict(student='neck', teacher='neck'),
    # stage outputs, RepDistiller's feat[1:-1] (AT, NST, VID)
    stages=dict(
        student=['backbone.block1', 'backbone.block2', 'backbone.block3'],
        teacher=['backbone.block1', 'backbone.block2', 'backbone.block3']),
    # FitNet's hint: RepDistiller's hint_layer=2, feat[2]
    hint=dict(student='backbone.block2', teacher='backbone.block2'),
    # pre-activation stage outputs (AB, OFD); record the modules with
    # the named recorder (ModuleInputs: the input of the stage's last
    # act_out ReLU; ModuleOutputs: a BN, or a block that ends in one)
    preact=dict(
        student=[
            'backbone.block2.0.bn1',
            'backbone.block3.0.bn1',
            'backbone.bn_final',
        ],
        teacher=[
            'backbone.block2.0.bn1',
            'backbone.block3.0.bn1',
            'backbone.bn_final',
        ],
        student_recorder='ModuleOutputs',
        teacher_recorder='ModuleOutputs'),
    # QuEST (as the official WRN pairs): block3 + final BN + ReLU, 8x8x64
    quest=dict(
        student='backbone.relu_final',
        teacher='backbone.relu_final',
        downscale=1),
)

model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARWideResNet', depth=16, widen_factor=1,
            out_indices=(2, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARWideResNet', depth=40, widen_factor=1,
            out_indices=(2, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher_ckpt=teacher_ckpt)

find_unused_parameters = True
