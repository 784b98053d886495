_base_ = ['./_base_quest_cifar100.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/vgg8_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/vgg13_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/vgg13_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        student_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.block4')),
        teacher_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.block4')),
        connectors=dict(quest_head=dict(in_channels=512)),
        distill_losses=dict(
            loss_quest=dict(
                # the authors weigh the QuEST loss 2.0 for this pair alone
                loss_weight=2.0,
                feat_channels=512,
                downscale=1))))
