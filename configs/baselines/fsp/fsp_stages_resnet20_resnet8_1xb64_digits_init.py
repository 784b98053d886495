# FSP (Yim et al., CVPR 2017), stage 1 of 2: on the bundled digits: resnet20
# -> resnet8, with the CRD benchmark's weights: the init stage trains the
# student with the FSP loss alone (no CE, weight 1) on the consecutive pairs
# of RepDistiller's feat[:-1] (stem, stage 1, 2, 3), one FSPLoss per pair.
# Stage 2 is fsp_stages_resnet20_resnet8_1xb64_digits_train.py.
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/datasets/digits_bs64.py',
    '../../_base_/schedules/digits_bs64_30e.py',
    '../../_base_/default_runtime.py'
]

stages = _base_.layers.stages

# the stem output, RepDistiller's feat[0] (16 channels on both sides)
model = dict(
    calculate_student_loss=False,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            f0=dict(type='ModuleOutputs', source='backbone.relu'),
            f1=dict(type='ModuleOutputs', source=stages.student[0]),
            f2=dict(type='ModuleOutputs', source=stages.student[1]),
            f3=dict(type='ModuleOutputs', source=stages.student[2])),
        teacher_recorders=dict(
            f0=dict(type='ModuleOutputs', source='backbone.relu'),
            f1=dict(type='ModuleOutputs', source=stages.teacher[0]),
            f2=dict(type='ModuleOutputs', source=stages.teacher[1]),
            f3=dict(type='ModuleOutputs', source=stages.teacher[2])),
        distill_losses=dict(
            loss_fsp_01=dict(type='FSPLoss', loss_weight=1.0),
            loss_fsp_12=dict(type='FSPLoss', loss_weight=1.0),
            loss_fsp_23=dict(type='FSPLoss', loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_fsp_01=dict(
                s_feature_a=dict(from_student=True, recorder='f0'),
                s_feature_b=dict(from_student=True, recorder='f1'),
                t_feature_a=dict(from_student=False, recorder='f0'),
                t_feature_b=dict(from_student=False, recorder='f1')),
            loss_fsp_12=dict(
                s_feature_a=dict(from_student=True, recorder='f1'),
                s_feature_b=dict(from_student=True, recorder='f2'),
                t_feature_a=dict(from_student=False, recorder='f1'),
                t_feature_b=dict(from_student=False, recorder='f2')),
            loss_fsp_23=dict(
                s_feature_a=dict(from_student=True, recorder='f2'),
                s_feature_b=dict(from_student=True, recorder='f3'),
                t_feature_a=dict(from_student=False, recorder='f2'),
                t_feature_b=dict(from_student=False, recorder='f3')))))

# The init stage: 5 epochs at a constant LR 0.05
# (RepDistiller's init(): SGD, no schedule)
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(
    _delete_=True, type='ConstantLR', factor=1.0, by_epoch=True)
train_cfg = dict(max_epochs=5)

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
