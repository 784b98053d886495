_base_ = ['./_base_sp.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/wrn_16_2_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/wrn_40_2_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        student_recorders=dict(
            last=dict(type='ModuleOutputs', source='backbone.block3')),
        teacher_recorders=dict(
            last=dict(type='ModuleOutputs', source='backbone.block3'))))
