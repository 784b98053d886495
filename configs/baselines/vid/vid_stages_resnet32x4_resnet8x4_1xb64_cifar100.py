_base_ = ['./_base_vid.py', '../../_base_/settings/cifar100_bs64_240e.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet8x4_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
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
            vid_s1=dict(in_channels=64, out_channels=64),
            vid_s2=dict(in_channels=128, out_channels=128),
            vid_s3=dict(in_channels=256, out_channels=256)),
        distill_losses=dict(
            loss_vid_1=dict(num_channels=64),
            loss_vid_2=dict(num_channels=128),
            loss_vid_3=dict(num_channels=256))))
