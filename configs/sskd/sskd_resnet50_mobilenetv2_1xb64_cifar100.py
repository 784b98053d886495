_base_ = ['./_base_sskd.py', './_base_sskd_views_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/mobilenetv2_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet50_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet50_1xb64_cifar100/epoch_240.pth',
    teacher_ss_ckpt=
    'work_dirs/sskd_stage1_resnet50_1xb64_cifar100/epoch_60.pth',
    distiller=dict(
        connectors=dict(
            ss_s=dict(in_channels=1280), ss_t=dict(in_channels=2048))))
# MobileNetV2 and ShuffleNet students train at a 5x lower LR
optim_wrapper = dict(optimizer=dict(lr=0.01))
