# Pair: WRN-40-2 (teacher) -> WRN-16-2 (student) on CIFAR-100, from the QuEST
# supplement Table 1 and the WCoRD supplement Table 1 (CRD/WCoRD). Paper
# top-1 of the vanilla networks: teacher 75.61, student 73.26.
# A pair file gives the distillation model's skeleton (algorithm, student,
# teacher, teacher checkpoint) and `layers`, the modules each method family
# distils; a method config inherits it and adds model.distiller. The teacher
# checkpoint comes from configs/teachers/wrn_40_2_1xb64_cifar100.py.
teacher_ckpt = 'work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth'

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
    # QuEST (official WRN40w2_WRN16w2): block3 + final BN + ReLU, 8x8
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
            type='CIFARWideResNet', depth=16, widen_factor=2,
            out_indices=(2, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=128,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARWideResNet', depth=40, widen_factor=2,
            out_indices=(2, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=128,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher_ckpt=teacher_ckpt)

find_unused_parameters = True
