# FSP with WRN-40-2 -> WRN-16-2 on CIFAR-100: what both stages share (the
# networks, the teacher's checkpoint, the recorders), on the first-stage
# recipe. The stage leaves add their settings.
_base_ = ['./_base_fsp_init.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/wrn_16_2_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/wrn_40_2_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        # the stem, then the stages
        student_recorders=dict(
            s0=dict(type='ModuleOutputs', source='backbone.conv1'),
            s1=dict(type='ModuleOutputs', source='backbone.block1'),
            s2=dict(type='ModuleOutputs', source='backbone.block2'),
            s3=dict(type='ModuleOutputs', source='backbone.block3')),
        teacher_recorders=dict(
            s0=dict(type='ModuleOutputs', source='backbone.conv1'),
            s1=dict(type='ModuleOutputs', source='backbone.block1'),
            s2=dict(type='ModuleOutputs', source='backbone.block2'),
            s3=dict(type='ModuleOutputs', source='backbone.block3'))))
