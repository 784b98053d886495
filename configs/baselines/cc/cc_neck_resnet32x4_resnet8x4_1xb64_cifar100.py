_base_ = ['./_base_cc.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet8x4_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        connectors=dict(
            cc_s=dict(in_channels=256), cc_t=dict(in_channels=256))))
