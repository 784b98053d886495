# SSKD with the jigsaw task (2x2 jigsaw copies, 24 permutation classes).
_base_ = ['./_base_sskd.py', './_base_sskd_views_digits.py', '../_base_/pairs/resnet20_resnet8_digits.py']
model = dict(**_base_.pair, teacher_ss_ckpt='work_dirs/sskd_jigsaw_stage1_resnet20_1xb64_digits/epoch_10.pth',
    distiller=dict(connectors=dict(ss_s=dict(in_channels=_base_.channels.feat[0], out_channels=24),
                                   ss_t=dict(in_channels=_base_.channels.feat[1], out_channels=24)),
                   distill_losses=dict(loss_ss=_base_.ss_classifier_loss)))
train_dataloader = dict(dataset=dict(pipeline=_base_.jigsaw_pipeline))
