# FSP (Yim et al., CVPR 2017), stage 1 of 2: on CIFAR-100, resnet32x4 ->
# resnet8x4, with the CRD benchmark's recipe (RepDistiller): the init stage
# trains the student with the FSP loss alone (no CE, weight 1) on the
# consecutive pairs of RepDistiller's feat[:-1] (stem, stage 1, 2, 3), one
# FSPLoss per pair. Stage 2 is
# fsp_stages_resnet32x4_resnet8x4_1xb64_cifar100_train.py. 240 epochs, batch
# 64, SGD LR 0.05 x0.1 at 150/180/210.
_base_ = [
    '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py'
]

stages = _base_.layers.stages

# the stem output, RepDistiller's feat[0] (32 channels on both sides)
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

# The init stage: 30 epochs at a constant LR 0.05
# (RepDistiller's init(): SGD, no schedule)
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(
    _delete_=True, type='ConstantLR', factor=1.0, by_epoch=True)
train_cfg = dict(max_epochs=30)

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
