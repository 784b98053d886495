_base_ = ['./_base_wcord_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/wrn_40_1_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/wrn_40_2_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        distill_losses=dict(loss_wcord=dict(s_channels=64, t_channels=128))))
