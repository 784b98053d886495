_base_ = [
    './_base_hkd.py', '../_base_/settings/utkface_bs128_50e.py',
    './_base_ad.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py',
        head=dict(
            type='AdversarialClsHead',
            num_groups=4,
            hidden=32,
            reverse_scale=30.0)),
    teacher=dict(cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher_ckpt='work_dirs/scratch_resnet18_1xb128_utkface/epoch_50.pth')
model['architecture']['head'].update(  # 4 race groups; lambda: Table 1
    _base_.ad_head,
    num_groups=4,
    reverse_scale=30.0)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
