# FSP's main stage: CE only, from the student the first stage initialised
# (load_from); StopDistillHook turns the FSP losses off from epoch 0.
_base_ = [
    './_base_fsp_resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/settings/cifar100_bs64_240e.py'
]
model = dict(calculate_student_loss=True)
custom_hooks = [dict(type='mmrazor.StopDistillHook', stop_epoch=0)]
load_from = 'work_dirs/fsp_stages_resnet32x4_resnet8x4_1xb64_cifar100_init/epoch_30.pth'
