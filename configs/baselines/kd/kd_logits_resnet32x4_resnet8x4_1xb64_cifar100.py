# KD (Hinton et al., 2015) on CIFAR-100, resnet32x4 -> resnet8x4, with the
# CRD benchmark's recipe (RepDistiller): 0.1 x CE + 0.9 x KD(T=4), 240
# epochs, batch 64, SGD LR 0.05 x0.1 at 150/180/210.
_base_ = [
    '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py'
]

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs',
                    source=_base_.layers.logits.student)),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs',
                    source=_base_.layers.logits.teacher)),
        distill_losses=dict(
            loss_kd=dict(type='KLDivergence', tau=4, loss_weight=0.9)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
