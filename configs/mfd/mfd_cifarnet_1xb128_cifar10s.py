_base_ = [
    './_base_mfd.py', '../_base_/settings/cifar10s_bs128_50e_balanced.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_1xb128_cifar10s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_1xb128_cifar10s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_1xb128_cifar10s/epoch_50.pth',
    distiller=dict(
        # lambda 3, the recipe's; the penultimate features (fc 256)
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc'))))
