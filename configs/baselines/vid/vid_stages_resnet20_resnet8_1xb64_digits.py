_base_ = ['./_base_vid.py', '../../_base_/settings/digits_bs64_30e.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    distiller=dict(
        student_recorders=dict(
            s1=dict(type='ModuleOutputs', source='backbone.layer1'),
            s2=dict(type='ModuleOutputs', source='backbone.layer2'),
            s3=dict(type='ModuleOutputs', source='backbone.layer3')),
        teacher_recorders=dict(
            s1=dict(type='ModuleOutputs', source='backbone.layer1'),
            s2=dict(type='ModuleOutputs', source='backbone.layer2'),
            s3=dict(type='ModuleOutputs', source='backbone.layer3')),
        connectors=dict(
            vid_s1=dict(in_channels=16, out_channels=16),
            vid_s2=dict(in_channels=32, out_channels=32),
            vid_s3=dict(in_channels=64, out_channels=64)),
        distill_losses=dict(
            loss_vid_1=dict(num_channels=16),
            loss_vid_2=dict(num_channels=32),
            loss_vid_3=dict(num_channels=64))))
