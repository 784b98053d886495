# resnet32x4 -> resnet8x4 on CIFAR-100: the two networks, the teacher's checkpoint and the layers
# each method family distils (see README.md in this folder).
from mmengine import Config as __Config

__nets = '{{ fileDirname }}/../models/'
pair = dict(
    architecture=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'resnet8x4_cifar.py').model),
    teacher=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'resnet32x4_cifar.py').model),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth')

# ConfigurableDistiller fragments, merged into a method recipe's distiller
quest = dict(
    student_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.layer3')),
    teacher_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.layer3')),
    connectors=dict(quest_head=dict(in_channels=256)),
    distill_losses=dict(loss_quest=dict(
        feat_channels=256, downscale=1)))
stages = dict(
    student_recorders=dict(
        s1=dict(type='ModuleOutputs', source='backbone.layer1'),
        s2=dict(type='ModuleOutputs', source='backbone.layer2'),
        s3=dict(type='ModuleOutputs', source='backbone.layer3')),
    teacher_recorders=dict(
        s1=dict(type='ModuleOutputs', source='backbone.layer1'),
        s2=dict(type='ModuleOutputs', source='backbone.layer2'),
        s3=dict(type='ModuleOutputs', source='backbone.layer3')))
hint = dict(
    student_recorders=dict(
        hint=dict(type='ModuleOutputs', source='backbone.layer2')),
    teacher_recorders=dict(
        hint=dict(type='ModuleOutputs', source='backbone.layer2')))
last = dict(
    student_recorders=dict(
        last=dict(type='ModuleOutputs', source='backbone.layer3')),
    teacher_recorders=dict(
        last=dict(type='ModuleOutputs', source='backbone.layer3')))
stem = dict(
    student_recorders=dict(
        s0=dict(type='ModuleOutputs', source='backbone.relu')),
    teacher_recorders=dict(
        s0=dict(type='ModuleOutputs', source='backbone.relu')))
# pre-activation stage outputs (AB)
preact = dict(
    student_recorders=dict(
        p1=dict(type='ModuleInputs', source='backbone.layer1.0.act_out'),
        p2=dict(type='ModuleInputs', source='backbone.layer2.0.act_out'),
        p3=dict(type='ModuleInputs', source='backbone.layer3.0.act_out')),
    teacher_recorders=dict(
        p1=dict(type='ModuleInputs', source='backbone.layer1.4.act_out'),
        p2=dict(type='ModuleInputs', source='backbone.layer2.4.act_out'),
        p3=dict(type='ModuleInputs', source='backbone.layer3.4.act_out')),
    # ABLoss reads the tensor out of ModuleInputs' tuple (data_idx 0)
    loss_forward_mappings={
        f'loss_ab_{i}': dict(
            s_feature=dict(data_idx=0), t_feature=dict(data_idx=0))
        for i in (1, 2, 3)
    })
# channels of the recorded outputs, (student, teacher)
channels = dict(feat=(256, 256),
                hint=(128, 128),
                last=(256, 256),
                stages=((64, 128, 256), (64, 128, 256)))
