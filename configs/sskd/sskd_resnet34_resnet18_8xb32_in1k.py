# SSKD on ImageNet-1k, ResNet-34 -> ResNet-18, with the supplement's ImageNet
# weights (ce 1.0, kd 0.9, tf 3.0, ss 5.0: _base_sskd_in1k.py); 8 GPUs x 32
# images (x 4 views), 100 epochs.
_base_ = ['./_base_sskd_in1k.py']
model = dict(
    architecture=dict(cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py'),
    teacher=dict(cfg_path='mmkd_plus::_base_/models/resnet34_in1k.py'),
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth',
    teacher_ss_ckpt='work_dirs/sskd_stage1_resnet34_8xb32_in1k/epoch_10.pth',
    distiller=dict(
        connectors=dict(
            ss_s=dict(in_channels=512), ss_t=dict(in_channels=512))))
