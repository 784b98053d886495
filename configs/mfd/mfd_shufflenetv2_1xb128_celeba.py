_base_ = ['./_base_mfd.py', '../_base_/settings/celeba_bs128_50e_balanced.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher_ckpt='work_dirs/scratch_shufflenetv2_1xb128_celeba/epoch_50.pth',
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layers.3')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layers.3')),
        distill_losses=dict(loss_mfd=dict(loss_weight=3.5))))  # lambda 7
