# SSKD stage 1, exemplar task (the paper's pool, one class per training image (1,438)): the teacher's head is a classifier.
_base_ = ['./_base_sskd_stage1_digits.py', '../_base_/pairs/resnet20_resnet8_digits.py']
model = dict(architecture=_base_.pair.teacher, teacher_ckpt=_base_.pair.teacher_ckpt,
             ss_head=dict(in_channels=_base_.channels.feat[1], out_channels=1438),
             ss_loss=dict(task='classification'))
train_dataloader = dict(dataset=dict(pipeline=_base_.exemplar_pipeline))
