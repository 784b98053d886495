_base_ = ['./_base_wcord_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet8x4_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        distill_losses=dict(loss_wcord=dict(s_channels=256, t_channels=256))))
