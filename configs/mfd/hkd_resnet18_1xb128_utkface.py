_base_ = ['./_base_hkd.py', '../_base_/settings/utkface_bs128_50e.py']
model = dict(  # T = 3 (Table 1), the recipe's
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher=dict(cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher_ckpt='work_dirs/scratch_resnet18_1xb128_utkface/epoch_50.pth')
