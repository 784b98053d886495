# resnet20 -> resnet8 on the bundled digits: the two networks, the teacher's checkpoint and the layers
# each method family distils (see README.md in this folder).
from mmengine import Config as __Config

__nets = '{{ fileDirname }}/../models/'
pair = dict(
    architecture=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'resnet8_cifar.py').model),
    teacher=dict(
        _scope_='mmpretrain', **__Config.fromfile(__nets + 'resnet20_cifar.py').model),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth')
pair['architecture']['head'].update(num_classes=10, topk=(1, ))
pair['teacher']['head'].update(num_classes=10, topk=(1, ))

# ConfigurableDistiller fragments, merged into a method recipe's distiller
quest = dict(
    student_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.layer3')),
    teacher_recorders=dict(
        quest=dict(type='ModuleOutputs', source='backbone.layer3')),
    connectors=dict(quest_head=dict(in_channels=64)),
    distill_losses=dict(loss_quest=dict(
        feat_channels=64, downscale=1)))
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
        p1=dict(type='ModuleInputs', source='backbone.layer1.2.act_out'),
        p2=dict(type='ModuleInputs', source='backbone.layer2.2.act_out'),
        p3=dict(type='ModuleInputs', source='backbone.layer3.2.act_out')),
    # ABLoss reads the tensor out of ModuleInputs' tuple (data_idx 0)
    loss_forward_mappings={
        f'loss_ab_{i}': dict(
            s_feature=dict(data_idx=0), t_feature=dict(data_idx=0))
        for i in (1, 2, 3)
    })
# channels of the recorded outputs, (student, teacher)
channels = dict(feat=(64, 64),
                hint=(32, 32),
                last=(64, 64),
                stages=((16, 32, 64), (16, 32, 64)))
