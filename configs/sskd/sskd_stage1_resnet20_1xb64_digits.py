# SSKD stage 1 for the digits teacher resnet20; its last checkpoint is the
# teacher_ss_ckpt of sskd_resnet20_resnet8_1xb64_digits.py.
_base_ = ['./_base_sskd_stage1_digits.py', '../_base_/pairs/resnet20_resnet8_digits.py']
model = dict(architecture=_base_.pair.teacher, teacher_ckpt=_base_.pair.teacher_ckpt,
             ss_head=dict(in_channels=_base_.channels.feat[1]))
