# SSKD stage 1 for the ImageNet ResNet-34 teacher (8 GPUs x 32 images).
_base_ = ['./_base_sskd_stage1_in1k.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::_base_/models/resnet34_in1k.py'),
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth',
    ss_head=dict(in_channels=512))
