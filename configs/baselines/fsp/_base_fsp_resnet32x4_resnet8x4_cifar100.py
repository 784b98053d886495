# FSP with resnet32x4 -> resnet8x4 on CIFAR-100: what both stages share (the
# networks, the teacher's checkpoint, the recorders), on the first-stage
# recipe. The stage leaves add their settings.
_base_ = ['./_base_fsp_init.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet8x4_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        # the stem, then the stages
        student_recorders=dict(
            s0=dict(type='ModuleOutputs', source='backbone.relu'),
            s1=dict(type='ModuleOutputs', source='backbone.layer1'),
            s2=dict(type='ModuleOutputs', source='backbone.layer2'),
            s3=dict(type='ModuleOutputs', source='backbone.layer3')),
        teacher_recorders=dict(
            s0=dict(type='ModuleOutputs', source='backbone.relu'),
            s1=dict(type='ModuleOutputs', source='backbone.layer1'),
            s2=dict(type='ModuleOutputs', source='backbone.layer2'),
            s3=dict(type='ModuleOutputs', source='backbone.layer3'))))
