# FSP (Yim et al., CVPR 2017), stage 2 of 2: on CIFAR-100, wrn_40_2 ->
# wrn_16_2, with the CRD benchmark's recipe (RepDistiller): CE only
# (RepDistiller ignores the distillation loss after its init stage): the
# model of fsp_stages_wrn_40_2_wrn_16_2_1xb64_cifar100_init.py, loaded from
# that stage's last checkpoint, with distillation stopped from the first
# epoch by MMRazor's StopDistillHook. 240 epochs, batch 64, SGD LR 0.05 x0.1
# at 150/180/210.
_base_ = ['./fsp_stages_wrn_40_2_wrn_16_2_1xb64_cifar100_init.py']

# the student (and connectors) trained by stage 1
load_from = (
    'work_dirs/fsp_stages_wrn_40_2_wrn_16_2_1xb64_cifar100_init/'
    'epoch_30.pth')

model = dict(calculate_student_loss=True)

custom_hooks = [dict(type='mmrazor.StopDistillHook', stop_epoch=0)]

# the main stage: the benchmark's 240 epochs, LR 0.05 x0.1 at 150/180/210
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(
    _delete_=True,
    type='MultiStepLR',
    by_epoch=True,
    milestones=[150, 180, 210],
    gamma=0.1)
train_cfg = dict(max_epochs=240)
