_base_ = [
    './_base_fsp.py',
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/settings/digits_bs64_30e.py'
]
model = dict(**_base_.pair,
    distiller=dict(
        student_recorders=dict(**_base_.stem.student_recorders,
                               **_base_.stages.student_recorders),
        teacher_recorders=dict(**_base_.stem.teacher_recorders,
                               **_base_.stages.teacher_recorders)))
load_from = 'work_dirs/fsp_stages_resnet20_resnet8_1xb64_digits_init/epoch_5.pth'
