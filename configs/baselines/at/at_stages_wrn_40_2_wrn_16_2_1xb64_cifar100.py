# AT (Zagoruyko & Komodakis, ICLR 2017) on CIFAR-100, wrn_40_2 -> wrn_16_2,
# with the CRD benchmark's recipe (RepDistiller): 1 x CE + 1000 x the sum of
# AT over the three stage outputs (RepDistiller's feat[1:-1]), MMRazor's
# ATLoss, one instance per stage (same formula as RepDistiller; the stage
# sizes match, so no pooling is needed). 240 epochs, batch 64, SGD LR 0.05
# x0.1 at 150/180/210.
_base_ = [
    '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py'
]

stages = _base_.layers.stages

model = dict(
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            s1=dict(type='ModuleOutputs', source=stages.student[0]),
            s2=dict(type='ModuleOutputs', source=stages.student[1]),
            s3=dict(type='ModuleOutputs', source=stages.student[2])),
        teacher_recorders=dict(
            s1=dict(type='ModuleOutputs', source=stages.teacher[0]),
            s2=dict(type='ModuleOutputs', source=stages.teacher[1]),
            s3=dict(type='ModuleOutputs', source=stages.teacher[2])),
        distill_losses=dict(
            loss_at_1=dict(type='ATLoss', loss_weight=1000.0),
            loss_at_2=dict(type='ATLoss', loss_weight=1000.0),
            loss_at_3=dict(type='ATLoss', loss_weight=1000.0)),
        loss_forward_mappings=dict(
            loss_at_1=dict(
                s_feature=dict(from_student=True, recorder='s1'),
                t_feature=dict(from_student=False, recorder='s1')),
            loss_at_2=dict(
                s_feature=dict(from_student=True, recorder='s2'),
                t_feature=dict(from_student=False, recorder='s2')),
            loss_at_3=dict(
                s_feature=dict(from_student=True, recorder='s3'),
                t_feature=dict(from_student=False, recorder='s3')))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
