_base_ = [
    './_base_fsp.py',
    '../../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../../_base_/settings/cifar100_bs64_240e.py'
]
model = dict(**_base_.pair,
    distiller=dict(
        student_recorders=dict(**_base_.stem.student_recorders,
                               **_base_.stages.student_recorders),
        teacher_recorders=dict(**_base_.stem.teacher_recorders,
                               **_base_.stages.teacher_recorders)))
load_from = 'work_dirs/fsp_stages_wrn_40_2_wrn_16_2_1xb64_cifar100_init/epoch_30.pth'
