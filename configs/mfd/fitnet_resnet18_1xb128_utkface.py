_base_ = [
    './_base_fitnet_two_stage.py', '../_base_/settings/utkface_bs128_50e.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher=dict(cfg_path='mmkd_plus::mfd/scratch_resnet18_1xb128_utkface.py'),
    teacher_ckpt='work_dirs/scratch_resnet18_1xb128_utkface/epoch_50.pth',
    distiller=dict(
        # the last map (layer4), the features of the linear head
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4')),
        distill_losses=dict(loss_kd=dict(tau=5))))  # T: Table 1
train_cfg = dict(max_epochs=75, val_begin=26)  # 25 hint + 50 epochs
