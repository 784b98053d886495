_base_ = ['./_base_crd_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/wrn_16_2_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/wrn_40_2_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        connectors=dict(crd_s=dict(dim_in=128), crd_t=dict(dim_in=128))))
