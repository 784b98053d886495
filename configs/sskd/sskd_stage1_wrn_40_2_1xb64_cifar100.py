_base_ = ['./_base_sskd_stage1_cifar100.py', '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py']
model = dict(architecture=_base_.pair.teacher, teacher_ckpt=_base_.pair.teacher_ckpt,
             ss_head=dict(in_channels=_base_.channels.feat[1]))
