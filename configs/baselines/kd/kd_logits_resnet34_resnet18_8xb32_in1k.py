_base_ = ['./_base_kd.py', '../../_base_/settings/imagenet_bs32_100e.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::_base_/models/resnet18_in1k.py'),
    teacher=dict(cfg_path='mmkd_plus::_base_/models/resnet34_in1k.py'),
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth')
