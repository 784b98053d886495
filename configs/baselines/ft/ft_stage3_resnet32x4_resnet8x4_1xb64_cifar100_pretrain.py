_base_ = [
    './_base_ft_pretrain.py', '../../_base_/settings/cifar100_bs64_30e_init.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet8x4_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        student_recorders=dict(
            last=dict(type='ModuleOutputs', source='backbone.layer3')),
        teacher_recorders=dict(
            last=dict(type='ModuleOutputs', source='backbone.layer3')),
        connectors=dict(
            ft_s=dict(in_channel=256, out_channel=128),
            ft_t=dict(in_channel=256, out_channel=128))))
optim_wrapper = dict(optimizer=dict(lr=0.01))
