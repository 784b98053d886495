# AD+FitNet: the one-stage FitNet (HKD + 1/2 * MSE of the layer4 maps at
# once, the supplement's form) with the AD student
# (ad_resnet18_1xb128_utkface.py's network) and AD's optimizer and plateaus.
_base_ = ['./_base_fitnet.py', '../_base_/settings/utkface_bs128_50e_ad.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/ad_resnet18_1xb128_utkface.py',
        head=dict(reverse_scale=1.0)),  # lambda: Table 1
    teacher=dict(cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher_ckpt='work_dirs/scratch_resnet18_1xb128_utkface/epoch_50.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4')),
        distill_losses=dict(loss_kd=dict(tau=5))))  # T: Table 1
