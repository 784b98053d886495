# FSP's main stage: CE only, from the student the first stage initialised
# (load_from); StopDistillHook turns the FSP losses off from epoch 0.
_base_ = [
    './_base_fsp_resnet20_resnet8_digits.py',
    '../../_base_/settings/digits_bs64_30e.py'
]
model = dict(calculate_student_loss=True)
custom_hooks = [dict(type='mmrazor.StopDistillHook', stop_epoch=0)]
load_from = 'work_dirs/fsp_stages_resnet20_resnet8_1xb64_digits_init/epoch_5.pth'
