_base_ = ['./_base_quest_in1k.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::_base_/models/resnet18_in1k.py'),
    teacher=dict(cfg_path='mmkd_plus::_base_/models/resnet34_in1k.py'),
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth',
    distiller=dict(
        student_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layer4')),
        teacher_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layer4')),
        connectors=dict(quest_head=dict(in_channels=512)),
        distill_losses=dict(loss_quest=dict(feat_channels=512, downscale=1))))
