_base_ = ['./_base_crd_digits.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    distiller=dict(
        connectors=dict(crd_s=dict(dim_in=64), crd_t=dict(dim_in=64))))
