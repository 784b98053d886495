# SP (Tung & Mori, ICCV 2019) on CIFAR-100, resnet32x4 -> resnet8x4, with the
# CRD benchmark's recipe (RepDistiller): 1 x CE + 3000 x SP on the last stage
# map (RepDistiller's feat[-2]). 240 epochs, batch 64, SGD LR 0.05 x0.1 at
# 150/180/210.
_base_ = [
    '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
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
