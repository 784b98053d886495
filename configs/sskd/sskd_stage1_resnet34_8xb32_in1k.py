# SSKD stage 1 for the ImageNet ResNet-34 teacher (8 GPUs x 32 images).
_base_ = ['./_base_sskd_stage1_in1k.py', '../_base_/pairs/resnet34_resnet18_in1k.py']
model = dict(architecture=_base_.pair.teacher, teacher_ckpt=_base_.pair.teacher_ckpt,
             ss_head=dict(in_channels=_base_.channels.feat[1]))
