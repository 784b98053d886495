_base_ = ['./_base_at.py', '../_base_/settings/cifar10s_bs128_50e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_1xb128_cifar10s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_1xb128_cifar10s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_1xb128_cifar10s/epoch_50.pth',
    distiller=dict(
        # lambda 1 (Table 1), the recipe's; the conv6 map (128x8x8, after
        # its ReLU)
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.features.15')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.features.15'))))
