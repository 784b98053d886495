_base_ = ['./_base_sskd_stage1_cifar100.py', '../_base_/pairs/vgg13_vgg8_cifar100.py']
model = dict(architecture=_base_.pair.teacher, teacher_ckpt=_base_.pair.teacher_ckpt,
             ss_head=dict(in_channels=_base_.channels.feat[1]))
