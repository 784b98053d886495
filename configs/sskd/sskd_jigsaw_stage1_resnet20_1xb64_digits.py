# SSKD stage 1, jigsaw task (2x2 jigsaw copies, 24 permutation classes): the teacher's head is a classifier.
_base_ = ['./_base_sskd_stage1_digits.py', '../_base_/pairs/resnet20_resnet8_digits.py']
model = dict(architecture=_base_.pair.teacher, teacher_ckpt=_base_.pair.teacher_ckpt,
             ss_head=dict(in_channels=_base_.channels.feat[1], out_channels=24),
             ss_loss=dict(task='classification'))
train_dataloader = dict(dataset=dict(pipeline=_base_.jigsaw_pipeline))
