_base_ = ['./_base_quest_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/shufflenetv2_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        student_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.relu2')),
        teacher_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layer3')),
        connectors=dict(quest_head=dict(in_channels=1024)),
        distill_losses=dict(loss_quest=dict(feat_channels=256, downscale=2))))
# MobileNetV2 and ShuffleNet students train at a 5x lower LR
optim_wrapper = dict(optimizer=dict(lr=0.01))
