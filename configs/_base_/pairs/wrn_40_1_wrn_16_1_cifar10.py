# WRN-40-1 -> WRN-16-1 on CIFAR-10: the two networks, the teacher's checkpoint and the layers
# each method family distils (see README.md in this folder).
from mmengine import Config as __Config

__nets = '{{ fileDirname }}/../models/'
pair = dict(
    architecture=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'wrn_16_1_cifar.py').model),
    teacher=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'wrn_40_1_cifar.py').model),
    teacher_ckpt='work_dirs/wrn_40_1_1xb128_cifar10/epoch_200.pth')
pair['architecture']['head'].update(num_classes=10)
pair['teacher']['head'].update(num_classes=10)

# ConfigurableDistiller fragments, merged into a method recipe's distiller
quest = dict(
    student_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.relu_final')),
    teacher_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.relu_final')),
    connectors=dict(quest_head=dict(in_channels=64)),
    distill_losses=dict(loss_quest=dict(
        feat_channels=64, downscale=1)))
# channels of the recorded outputs, (student, teacher)
channels = dict(feat=(64, 64))
