_base_ = ['./_base_fitnet.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet8x4_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        student_recorders=dict(
            hint=dict(type='ModuleOutputs', source='backbone.layer2')),
        teacher_recorders=dict(
            hint=dict(type='ModuleOutputs', source='backbone.layer2')),
        connectors=dict(hint_s=dict(in_channel=128, out_channel=128))))
