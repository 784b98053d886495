# WRN-40-2 -> WRN-16-2 on CIFAR-100: the two networks, the teacher's checkpoint and the layers
# each method family distils (see README.md in this folder).
from mmengine import Config as __Config

__nets = '{{ fileDirname }}/../models/'
pair = dict(
    architecture=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'wrn_16_2_cifar.py').model),
    teacher=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'wrn_40_2_cifar.py').model),
    teacher_ckpt='work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth')

# ConfigurableDistiller fragments, merged into a method recipe's distiller
quest = dict(
    student_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.relu_final')),
    teacher_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.relu_final')),
    connectors=dict(quest_head=dict(in_channels=128)),
    distill_losses=dict(loss_quest=dict(
        feat_channels=128, downscale=1)))
stages = dict(
    student_recorders=dict(
        s1=dict(type='ModuleOutputs', source='backbone.block1'),
        s2=dict(type='ModuleOutputs', source='backbone.block2'),
        s3=dict(type='ModuleOutputs', source='backbone.block3')),
    teacher_recorders=dict(
        s1=dict(type='ModuleOutputs', source='backbone.block1'),
        s2=dict(type='ModuleOutputs', source='backbone.block2'),
        s3=dict(type='ModuleOutputs', source='backbone.block3')))
hint = dict(
    student_recorders=dict(
        hint=dict(type='ModuleOutputs', source='backbone.block2')),
    teacher_recorders=dict(
        hint=dict(type='ModuleOutputs', source='backbone.block2')))
last = dict(
    student_recorders=dict(
        last=dict(type='ModuleOutputs', source='backbone.block3')),
    teacher_recorders=dict(
        last=dict(type='ModuleOutputs', source='backbone.block3')))
stem = dict(
    student_recorders=dict(
        s0=dict(type='ModuleOutputs', source='backbone.conv1')),
    teacher_recorders=dict(
        s0=dict(type='ModuleOutputs', source='backbone.conv1')))
# pre-activation stage outputs (AB)
preact = dict(
    student_recorders=dict(
        p1=dict(type='ModuleOutputs', source='backbone.block2.0.bn1'),
        p2=dict(type='ModuleOutputs', source='backbone.block3.0.bn1'),
        p3=dict(type='ModuleOutputs', source='backbone.bn_final')),
    teacher_recorders=dict(
        p1=dict(type='ModuleOutputs', source='backbone.block2.0.bn1'),
        p2=dict(type='ModuleOutputs', source='backbone.block3.0.bn1'),
        p3=dict(type='ModuleOutputs', source='backbone.bn_final')),
    # ABLoss reads the tensor out of ModuleInputs' tuple (data_idx 0)
    loss_forward_mappings={
        f'loss_ab_{i}': dict(
            s_feature=dict(data_idx=None), t_feature=dict(data_idx=None))
        for i in (1, 2, 3)
    })
# channels of the recorded outputs, (student, teacher)
channels = dict(feat=(128, 128),
                hint=(64, 64),
                last=(128, 128),
                stages=((32, 64, 128), (32, 64, 128)))
