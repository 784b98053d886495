# SSKD stage 1, rotation task (rotations by 0/90/180/270 degrees, 4 classes): the teacher's head is a classifier.
_base_ = ['./_base_sskd_stage1_digits.py', '../_base_/pairs/resnet20_resnet8_digits.py']
model = dict(architecture=_base_.pair.teacher, teacher_ckpt=_base_.pair.teacher_ckpt,
             ss_head=dict(in_channels=_base_.channels.feat[1], out_channels=4),
             ss_loss=dict(task='classification'))
