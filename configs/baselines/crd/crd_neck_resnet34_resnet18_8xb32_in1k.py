_base_ = ['./_base_crd_in1k.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::_base_/models/resnet18_in1k.py'),
    teacher=dict(cfg_path='mmkd_plus::_base_/models/resnet34_in1k.py'),
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth',
    distiller=dict(
        connectors=dict(crd_s=dict(dim_in=512), crd_t=dict(dim_in=512))))
