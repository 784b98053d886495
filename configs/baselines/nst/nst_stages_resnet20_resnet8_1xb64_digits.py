# NST (Huang & Wang, 2017) on the bundled digits: resnet20 -> resnet8, with
# the CRD benchmark's weights: 1 x CE + 50 x the sum of NST over the three
# stage outputs (RepDistiller's feat[1:-1]), one NSTLoss per stage.
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/datasets/digits_bs64.py',
    '../../_base_/schedules/digits_bs64_30e.py',
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
            loss_nst_1=dict(type='NSTLoss', loss_weight=50.0),
            loss_nst_2=dict(type='NSTLoss', loss_weight=50.0),
            loss_nst_3=dict(type='NSTLoss', loss_weight=50.0)),
        loss_forward_mappings=dict(
            loss_nst_1=dict(
                s_feature=dict(from_student=True, recorder='s1'),
                t_feature=dict(from_student=False, recorder='s1')),
            loss_nst_2=dict(
                s_feature=dict(from_student=True, recorder='s2'),
                t_feature=dict(from_student=False, recorder='s2')),
            loss_nst_3=dict(
                s_feature=dict(from_student=True, recorder='s3'),
                t_feature=dict(from_student=False, recorder='s3')))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
