# AD+HKD: HKD with the AD student (ad_resnet18_1xb128_utkface.py's network:
# one adversary per class over the 4 race groups) and AD's optimizer and
# plateaus.
_base_ = ['./_base_hkd.py', '../_base_/settings/utkface_bs128_50e_ad.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/ad_resnet18_1xb128_utkface.py',
        head=dict(reverse_scale=30.0)),  # lambda: Table 1
    teacher=dict(cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher_ckpt='work_dirs/scratch_resnet18_1xb128_utkface/epoch_50.pth',
    distiller=dict(distill_losses=dict(loss_kd=dict(tau=3))))  # T: Table 1
