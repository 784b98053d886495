_base_ = ['./_base_crd+kd_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet32_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet110_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet110_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        connectors=dict(crd_s=dict(dim_in=64), crd_t=dict(dim_in=64))))
