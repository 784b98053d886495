_base_ = ['./_base_ft.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    distiller=dict(
        student_recorders=dict(
            last=dict(type='ModuleOutputs', source='backbone.layer3')),
        teacher_recorders=dict(
            last=dict(type='ModuleOutputs', source='backbone.layer3')),
        connectors=dict(
            ft_s=dict(in_channel=64, out_channel=32),
            ft_t=dict(in_channel=64, out_channel=32))))
load_from = 'work_dirs/ft_stage3_resnet20_resnet8_1xb64_digits_pretrain/epoch_5.pth'
