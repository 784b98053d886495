# SP (Tung & Mori, ICCV 2019) on the bundled digits: resnet20 -> resnet8,
# with the CRD benchmark's weights: 1 x CE + 3000 x SP on the last stage map
# (RepDistiller's feat[-2]).
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
            last=dict(
                type='ModuleOutputs', source=stages.student[-1])),
        teacher_recorders=dict(
            last=dict(
                type='ModuleOutputs', source=stages.teacher[-1])),
        distill_losses=dict(
            loss_sp=dict(type='SPLoss', loss_weight=3000.0)),
        loss_forward_mappings=dict(
            loss_sp=dict(
                s_feature=dict(from_student=True, recorder='last'),
                t_feature=dict(from_student=False, recorder='last')))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
