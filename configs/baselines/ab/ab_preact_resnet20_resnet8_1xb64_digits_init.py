# AB (Heo et al., AAAI 2019), stage 1 of 2: on the bundled digits: resnet20
# -> resnet8, with the CRD benchmark's weights: the init stage trains the
# student with the activation-boundary loss alone (no CE, weight 1) on the
# pre-ReLU stage outputs (RepDistiller's preact feat[1:-1]), one ABLoss per
# stage. Stage 2 is ab_preact_resnet20_resnet8_1xb64_digits_train.py.
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/datasets/digits_bs64.py',
    '../../_base_/schedules/digits_bs64_30e.py',
    '../../_base_/default_runtime.py'
]

preact = _base_.layers.preact
# ModuleInputs records the tuple of a module's inputs: take the first
s_idx = 0 if preact.student_recorder == 'ModuleInputs' else None
t_idx = 0 if preact.teacher_recorder == 'ModuleInputs' else None

model = dict(
    calculate_student_loss=False,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            p1=dict(
                type=preact.student_recorder,
                source=preact.student[0]),
            p2=dict(
                type=preact.student_recorder,
                source=preact.student[1]),
            p3=dict(
                type=preact.student_recorder,
                source=preact.student[2])),
        teacher_recorders=dict(
            p1=dict(
                type=preact.teacher_recorder,
                source=preact.teacher[0]),
            p2=dict(
                type=preact.teacher_recorder,
                source=preact.teacher[1]),
            p3=dict(
                type=preact.teacher_recorder,
                source=preact.teacher[2])),
        # RepDistiller's per-layer weights 2 ** (i - n + 1); the stage shapes
        # match, so its connector is the identity (none here)
        distill_losses=dict(
            loss_ab_1=dict(
                type='ABLoss', margin=1.0, loss_weight=0.25),
            loss_ab_2=dict(
                type='ABLoss', margin=1.0, loss_weight=0.5),
            loss_ab_3=dict(
                type='ABLoss', margin=1.0, loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_ab_1=dict(
                s_feature=dict(
                    from_student=True, recorder='p1', data_idx=s_idx),
                t_feature=dict(
                    from_student=False, recorder='p1', data_idx=t_idx)),
            loss_ab_2=dict(
                s_feature=dict(
                    from_student=True, recorder='p2', data_idx=s_idx),
                t_feature=dict(
                    from_student=False, recorder='p2', data_idx=t_idx)),
            loss_ab_3=dict(
                s_feature=dict(
                    from_student=True, recorder='p3', data_idx=s_idx),
                t_feature=dict(
                    from_student=False, recorder='p3', data_idx=t_idx)))))

# The init stage: 5 epochs at a constant LR 0.05
# (RepDistiller's init(): SGD, no schedule)
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(
    _delete_=True, type='ConstantLR', factor=1.0, by_epoch=True)
train_cfg = dict(max_epochs=5)

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
