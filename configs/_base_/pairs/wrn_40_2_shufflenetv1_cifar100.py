# Pair: WRN-40-2 (teacher) -> ShuffleNetV1 (student) on CIFAR-100, from the
# QuEST supplement Table 1 (also the SSKD supplement Table 1, linear probe).
# Paper top-1 of the vanilla networks: teacher 75.61, student 70.50.
# A pair file gives the distillation model's skeleton (algorithm, student,
# teacher, teacher checkpoint) and `layers`, the modules each method family
# distils; a method config inherits it and adds model.distiller. The teacher
# checkpoint comes from configs/teachers/wrn_40_2_1xb64_cifar100.py.
# ShuffleNetV1 students train with LR 0.01, not 0.05 (the RepDistiller, QuEST
# and SSKD recipes): method configs set optim_wrapper.optimizer.lr to 0.01.
teacher_ckpt = 'work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth'

layers = dict(
    logits=dict(student='head.fc', teacher='head.fc'),
    # the pooled penultimate vector (CRD, SSKD, WCoRD, PKT, CC, RKD)
    feat=dict(student='neck', teacher='neck'),
    # stage outputs, RepDistiller's feat[1:-1] (AT, NST, VID)
    stages=dict(
        student=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
        teacher=['backbone.block1', 'backbone.block2', 'backbone.block3']),
    # FitNet's hint: RepDistiller's hint_layer=2, feat[2]
    hint=dict(student='backbone.layer2', teacher='backbone.block2'),
    # pre-activation stage outputs (AB, OFD); record the modules with
    # the named recorder (ModuleInputs: the input of the stage's last
    # act_out ReLU; ModuleOutputs: a BN, or a block that ends in one)
    preact=dict(
        student=[
            'backbone.layer1.3.act_out',
            'backbone.layer2.7.act_out',
            'backbone.layer3.3.act_out',
        ],
        teacher=[
            'backbone.block2.0.bn1',
            'backbone.block3.0.bn1',
            'backbone.bn_final',
        ],
        student_recorder='ModuleInputs',
        teacher_recorder='ModuleOutputs'),
    # QuEST (official WRN40w2_SNv1): teacher block3 + final BN + ReLU
    # (8x8x128), 2x2 average-pooled to the student layer3 map (4x4x960);
    # the vocabulary is learned on the pooled teacher map
    quest=dict(
        student='backbone.layer3',
        teacher='backbone.relu_final',
        downscale=2),
)

model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CIFARShuffleNetV1', groups=3, out_indices=(2, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=960,
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
