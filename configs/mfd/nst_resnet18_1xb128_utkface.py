_base_ = ['./_base_nst.py', '../_base_/settings/utkface_bs128_50e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher=dict(cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher_ckpt='work_dirs/scratch_resnet18_1xb128_utkface/epoch_50.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4')),
        # lambda 3 (Table 1)
        distill_losses=dict(loss_nst=dict(loss_weight=3.0))))
