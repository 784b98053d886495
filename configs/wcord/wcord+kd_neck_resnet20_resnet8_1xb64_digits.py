_base_ = ['./_base_wcord+kd_digits.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    distiller=dict(
        distill_losses=dict(loss_wcord=dict(s_channels=64, t_channels=64))))
