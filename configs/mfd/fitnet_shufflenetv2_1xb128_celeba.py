_base_ = [
    './_base_fitnet_two_stage.py', '../_base_/settings/celeba_bs128_50e.py'
]
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher_ckpt='work_dirs/scratch_shufflenetv2_1xb128_celeba/epoch_50.pth',
    distiller=dict(
        # the last map (conv5), the features of the linear head
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layers.3')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layers.3')),
        distill_losses=dict(loss_kd=dict(tau=1))))  # T: Table 1
train_cfg = dict(max_epochs=75, val_begin=26)  # 25 hint + 50 epochs
