# SSKD with the exemplar task (the paper's pool, one class per training image (1,438)).
_base_ = [
    './_base_sskd_classifier_task.py', './_base_sskd_exemplar_views_digits.py'
]
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    teacher_ss_ckpt=
    'work_dirs/sskd_exemplar_stage1_resnet20_1xb64_digits/epoch_10.pth',
    distiller=dict(
        connectors=dict(
            ss_s=dict(in_channels=64, out_channels=1438),
            ss_t=dict(in_channels=64, out_channels=1438))))
