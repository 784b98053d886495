# AB's main stage: CE only, from the student the first stage initialised
# (load_from); StopDistillHook turns the AB losses off from epoch 0.
_base_ = [
    './_base_ab_wrn_40_2_wrn_16_2_cifar100.py',
    '../../_base_/settings/cifar100_bs64_240e.py'
]
model = dict(calculate_student_loss=True)
custom_hooks = [dict(type='mmrazor.StopDistillHook', stop_epoch=0)]
load_from = 'work_dirs/ab_preact_wrn_40_2_wrn_16_2_1xb64_cifar100_init/epoch_30.pth'
