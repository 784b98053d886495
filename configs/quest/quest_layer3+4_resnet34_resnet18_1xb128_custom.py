# QuEST transfer learning (MIT-67 pattern; see README.md): an ImageNet
# ResNet34 teacher, a ResNet18 student from scratch, QuEST at two levels,
# layer3 and layer4, each with its own vocabulary, head and loss in place of
# the recipe's one level. For your own data, point data_root (and the
# classes: data_preprocessor.num_classes, model.architecture.head.
# num_classes) at it.
_base_ = ['./_base_quest.py', '../_base_/settings/custom_bs128_200e.py']
# the recipe's head and loss as the authors' transfer configs set them: a
# fixed scale of 10 with a bias; beta = 10, the L_QuEST weight for ResNet18
# (supplement C.2), K = 4096 per vocabulary
__head = dict(
    _base_.model.distiller.connectors.quest_head,
    scale_init=10.0,
    learn_scale=False,
    bias=True)
__loss = dict(
    _base_.model.distiller.distill_losses.loss_quest,
    downscale=1,
    loss_weight=10.0)
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::_base_/models/resnet18_in1k.py',
        head=dict(num_classes=67)),
    teacher=dict(cfg_path='mmkd_plus::_base_/models/resnet34_in1k.py'),
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth',
    distiller=dict(
        student_recorders=dict(
            quest3=dict(type='ModuleOutputs', source='backbone.layer3'),
            quest4=dict(type='ModuleOutputs', source='backbone.layer4')),
        teacher_recorders=dict(
            quest3=dict(type='ModuleOutputs', source='backbone.layer3'),
            quest4=dict(type='ModuleOutputs', source='backbone.layer4')),
        connectors=dict(
            _delete_=True,
            quest_head3=dict(__head, in_channels=256),
            quest_head4=dict(__head, in_channels=512)),
        distill_losses=dict(
            _delete_=True,
            # tau: the code's beta = 500 at layer3, 5 at layer4
            loss_quest_layer3=dict(__loss, feat_channels=256, tau=0.002),
            loss_quest_layer4=dict(__loss, feat_channels=512, tau=0.2)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_quest_layer3=dict(
                s_logits=dict(
                    from_student=True,
                    recorder='quest3',
                    connector='quest_head3'),
                t_feature=dict(from_student=False, recorder='quest3')),
            loss_quest_layer4=dict(
                s_logits=dict(
                    from_student=True,
                    recorder='quest4',
                    connector='quest_head4'),
                t_feature=dict(from_student=False, recorder='quest4')))))
# One vocabulary per level, the teacher's on ImageNet (K = 4096 each, built
# on a 200k-image subset, every vector of the test pipeline), loaded from
# vocab_file as the authors' transfer configs do. Where the files do not
# exist yet, set vocab_file=None (e.g. --cfg-options
# custom_hooks.0.vocab_file=None custom_hooks.1.vocab_file=None): the hooks
# then build them from the ImageNet loader below and save them to
# save_vocab_file. To build them on the target data instead, also set the
# hooks' dataloader=None.
__imagenet = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        _scope_='mmpretrain',
        type='LocalImageNet',
        data_root='data/imagenet',
        split='train',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='ResizeEdge', scale=256, edge='short'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False))
custom_hooks = [
    dict(
        _base_.custom_hooks[0],
        loss_name=f'loss_quest_{layer}',
        num_images=200000,
        max_points_per_centroid=256,
        vocab_file=f'checkpoints/quest_vocab_resnet34_in1k_{layer}_k4096.pth',
        save_vocab_file='checkpoints/quest_vocab_resnet34_in1k_'
        f'{layer}_k4096.pth',
        dataloader=__imagenet) for layer in ('layer3', 'layer4')
]
