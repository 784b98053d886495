_base_ = ['./_base_quest_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/wrn_40_1_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/wrn_40_2_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        student_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.relu_final')),
        teacher_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.relu_final')),
        connectors=dict(quest_head=dict(in_channels=64)),
        distill_losses=dict(loss_quest=dict(feat_channels=128, downscale=1))))
