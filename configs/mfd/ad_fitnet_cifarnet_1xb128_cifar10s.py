# AD+FitNet: the one-stage FitNet (HKD + 1/2 * MSE of the penultimate
# features at once, the supplement's form) with the AD student
# (ad_cifarnet_1xb128_cifar10s.py's network) and AD's optimizer and
# plateaus.
_base_ = ['./_base_fitnet.py', '../_base_/settings/cifar10s_bs128_50e_ad.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/ad_cifarnet_1xb128_cifar10s.py',
        head=dict(reverse_scale=1e-3)),  # lambda: Table 1
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_cifarnet_1xb128_cifar10s.py'),
    teacher_ckpt='work_dirs/scratch_cifarnet_1xb128_cifar10s/epoch_50.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.fc')),
        distill_losses=dict(loss_kd=dict(tau=1))))  # T: Table 1
