# AD+HKD: HKD with the AD student (ad_shufflenetv2_1xb128_celeba.py's
# network, lambda 10 as Table 1's) and AD's optimizer and plateaus.
_base_ = ['./_base_hkd.py', '../_base_/settings/celeba_bs128_50e_ad.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/ad_shufflenetv2_1xb128_celeba.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher_ckpt='work_dirs/scratch_shufflenetv2_1xb128_celeba/epoch_50.pth',
    distiller=dict(distill_losses=dict(loss_kd=dict(tau=5))))  # T: Table 1
