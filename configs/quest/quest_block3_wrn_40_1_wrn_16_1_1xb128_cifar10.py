_base_ = ['./_base_quest_cifar10.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/wrn_16_1_1xb128_cifar10.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/wrn_40_1_1xb128_cifar10.py'),
    teacher_ckpt='work_dirs/wrn_40_1_1xb128_cifar10/epoch_200.pth',
    distiller=dict(
        student_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.relu_final')),
        teacher_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.relu_final')),
        connectors=dict(quest_head=dict(in_channels=64)),
        distill_losses=dict(loss_quest=dict(feat_channels=64, downscale=1))))
