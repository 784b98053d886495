_base_ = [
    './_base_fsp_init.py',
    '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/settings/cifar100_bs64_30e_init.py'
]
model = dict(**_base_.pair,
    distiller=dict(
        student_recorders=dict(**_base_.stem.student_recorders,
                               **_base_.stages.student_recorders),
        teacher_recorders=dict(**_base_.stem.teacher_recorders,
                               **_base_.stages.teacher_recorders)))
