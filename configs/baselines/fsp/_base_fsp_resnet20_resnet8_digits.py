# FSP with resnet20 -> resnet8 on the digits: what both stages share (the
# networks, the teacher's checkpoint, the recorders), on the first-stage
# recipe. The stage leaves add their settings.
_base_ = ['./_base_fsp_init.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
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
