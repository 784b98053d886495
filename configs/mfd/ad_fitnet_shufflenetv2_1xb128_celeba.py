# AD+FitNet: the one-stage FitNet (HKD + 1/2 * MSE of the conv5 maps at
# once, the supplement's form) with the AD student
# (ad_shufflenetv2_1xb128_celeba.py's network) and AD's optimizer and
# plateaus.
_base_ = ['./_base_fitnet.py', '../_base_/settings/celeba_bs128_50e_ad.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/ad_shufflenetv2_1xb128_celeba.py',
        head=dict(reverse_scale=1.0)),  # lambda: Table 1
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher_ckpt='work_dirs/scratch_shufflenetv2_1xb128_celeba/epoch_50.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layers.3')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layers.3')),
        distill_losses=dict(loss_kd=dict(tau=1))))  # T: Table 1
