# FSP (Yim et al., CVPR 2017), stage 2 of 2: on the bundled digits: resnet20
# -> resnet8, with the CRD benchmark's weights: CE only (RepDistiller ignores
# the distillation loss after its init stage): the model of
# fsp_stages_resnet20_resnet8_1xb64_digits_init.py, loaded from that stage's
# last checkpoint, with distillation stopped from the first epoch by
# MMRazor's StopDistillHook.
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = ['./fsp_stages_resnet20_resnet8_1xb64_digits_init.py']

# the student (and connectors) trained by stage 1
load_from = (
    'work_dirs/fsp_stages_resnet20_resnet8_1xb64_digits_init/'
    'epoch_5.pth')

model = dict(calculate_student_loss=True)

custom_hooks = [dict(type='mmrazor.StopDistillHook', stop_epoch=0)]

# the main stage: the digits schedule again (30 epochs, LR 0.05, cosine)
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(
    _delete_=True,
    type='CosineAnnealingLR',
    by_epoch=True,
    T_max=30)
train_cfg = dict(max_epochs=30)
