_base_ = [
    './_base_fitnet_two_stage.py', '../_base_/settings/cifar10s_bs128_50e.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_1xb128_cifar10s.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_1xb128_cifar10s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_1xb128_cifar10s/epoch_50.pth',
    distiller=dict(
        # the penultimate features (fc 256, after its ReLU)
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        distill_losses=dict(loss_kd=dict(tau=1))))  # T: Table 1
train_cfg = dict(max_epochs=75, val_begin=26)  # 25 hint + 50 epochs
