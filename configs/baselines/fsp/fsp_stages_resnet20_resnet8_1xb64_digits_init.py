_base_ = [
    './_base_fsp_init.py',
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/settings/digits_bs64_5e_init.py'
]
model = dict(**_base_.pair,
    distiller=dict(
        student_recorders=dict(**_base_.stem.student_recorders,
                               **_base_.stages.student_recorders),
        teacher_recorders=dict(**_base_.stem.teacher_recorders,
                               **_base_.stages.teacher_recorders)))
