_base_ = [
    './_base_hkd.py', '../_base_/settings/celeba_bs128_50e.py', './_base_ad.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py',
        head=dict(
            type='AdversarialClsHead',
            num_groups=2,
            hidden=32,
            reverse_scale=10.0)),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher_ckpt='work_dirs/scratch_shufflenetv2_1xb128_celeba/epoch_50.pth',
    distiller=dict(distill_losses=dict(loss_kd=dict(tau=5))))
model['architecture']['head'].update(_base_.ad_head, reverse_scale=10.0)
optim_wrapper = _base_.ad_optim
param_scheduler = _base_.ad_param_scheduler
