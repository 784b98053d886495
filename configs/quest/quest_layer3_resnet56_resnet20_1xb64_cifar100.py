_base_ = ['./_base_quest_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet20_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet56_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet56_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        student_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layer3')),
        teacher_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layer3')),
        connectors=dict(quest_head=dict(in_channels=64)),
        distill_losses=dict(loss_quest=dict(feat_channels=64, downscale=1))))
