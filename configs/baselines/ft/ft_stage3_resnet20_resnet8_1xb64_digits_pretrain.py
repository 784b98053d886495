_base_ = [
    './_base_ft_pretrain.py', '../../_base_/settings/digits_bs64_5e_init.py'
]
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
optim_wrapper = dict(optimizer=dict(lr=0.01))
