_base_ = ['./_base_sskd.py', './_base_sskd_views_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/shufflenetv1_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
    teacher_ss_ckpt=
    'work_dirs/sskd_stage1_resnet32x4_1xb64_cifar100/epoch_60.pth',
    distiller=dict(
        connectors=dict(
            ss_s=dict(in_channels=960), ss_t=dict(in_channels=256))))
# MobileNetV2 and ShuffleNet students train at a 5x lower LR
optim_wrapper = dict(optimizer=dict(lr=0.01))
