# ResNet-50 -> MobileNetV1 on ImageNet: the two networks, the teacher's checkpoint and the layers
# each method family distils (see README.md in this folder).
from mmengine import Config as __Config

__nets = '{{ fileDirname }}/../models/'
pair = dict(
    architecture=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'mobilenetv1_in1k.py').model),
    teacher=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'resnet50_in1k.py').model),
    teacher_ckpt='checkpoints/resnet50_8xb32_in1k.pth')

# ConfigurableDistiller fragments, merged into a method recipe's distiller
quest = dict(
    student_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.layers.12')),
    teacher_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.layer4')),
    connectors=dict(quest_head=dict(in_channels=1024)),
    distill_losses=dict(loss_quest=dict(
        feat_channels=2048, downscale=1)))
# channels of the recorded outputs, (student, teacher)
channels = dict(feat=(1024, 2048))
