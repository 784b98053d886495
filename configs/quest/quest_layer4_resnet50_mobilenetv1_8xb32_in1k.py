_base_ = ['./_base_quest_in1k.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::_base_/models/mobilenetv1_in1k.py'),
    teacher=dict(cfg_path='mmkd_plus::_base_/models/resnet50_in1k.py'),
    teacher_ckpt='checkpoints/resnet50_8xb32_in1k.pth',
    distiller=dict(
        student_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layers.12')),
        teacher_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layer4')),
        connectors=dict(quest_head=dict(in_channels=1024)),
        distill_losses=dict(loss_quest=dict(feat_channels=2048, downscale=1))))
