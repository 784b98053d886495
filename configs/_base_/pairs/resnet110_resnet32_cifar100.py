# resnet110 -> resnet32 on CIFAR-100: the two networks, the teacher's checkpoint and the layers
# each method family distils (see README.md in this folder).
from mmengine import Config as __Config

__nets = '{{ fileDirname }}/../models/'
pair = dict(
    architecture=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'resnet32_cifar.py').model),
    teacher=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'resnet110_cifar.py').model),
    teacher_ckpt='work_dirs/resnet110_1xb64_cifar100/epoch_240.pth')

# ConfigurableDistiller fragments, merged into a method recipe's distiller
quest = dict(
    student_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.layer3')),
    teacher_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.layer3')),
    connectors=dict(quest_head=dict(in_channels=64)),
    distill_losses=dict(loss_quest=dict(
        feat_channels=64, downscale=1)))
# channels of the recorded outputs, (student, teacher)
channels = dict(feat=(64, 64))
