_base_ = ['./_base_at.py', '../_base_/settings/celeba_bs128_50e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher=dict(
        cfg_path='mmkd_plus::mfd/scratch_shufflenetv2_1xb128_celeba.py'),
    teacher_ckpt='work_dirs/scratch_shufflenetv2_1xb128_celeba/epoch_50.pth',
    distiller=dict(
        # lambda 1 (Table 1), the recipe's; the conv5 map
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layers.3')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layers.3'))))
