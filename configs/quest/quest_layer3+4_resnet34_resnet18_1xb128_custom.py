# QuEST transfer learning (MIT-67 pattern): an ImageNet ResNet34 teacher, a
# ResNet18 student from scratch, layer3 + layer4 (see README.md).
_base_ = ['../_base_/default_runtime.py']

num_classes = 67  # MIT-67
num_words = 4096  # K per vocabulary (supplement C.2)
beta = 10.0  # the L_QuEST weight (supplement C.2: 10 for ResNet18)

# ---------------------------------------------------------------- data
dataset_type = 'CustomDataset'
data_root = 'data/mit67'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    persistent_workers=True,
)
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        data_prefix='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    persistent_workers=True,
)
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# --------------------------------------------------------------- model
model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18, num_stages=4,
                      out_indices=(3, ), style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=34, num_stages=4,
                      out_indices=(3, ), style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher_ckpt='checkpoints/resnet34_8xb32_in1k.pth',
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            quest3=dict(type='ModuleOutputs', source='backbone.layer3'),
            quest4=dict(type='ModuleOutputs', source='backbone.layer4')),
        teacher_recorders=dict(
            quest3=dict(type='ModuleOutputs', source='backbone.layer3'),
            quest4=dict(type='ModuleOutputs', source='backbone.layer4')),
        connectors=dict(
            quest_head3=dict(type='QuESTConnector',
                             in_channels=256,
                             num_words=num_words,
                             scale_init=10.0,
                             learn_scale=False,
                             bias=True),
            quest_head4=dict(type='QuESTConnector',
                             in_channels=512,
                             num_words=num_words,
                             scale_init=10.0,
                             learn_scale=False,
                             bias=True)),
        distill_losses=dict(
            loss_quest_layer3=dict(type='QuESTLoss',
                                   num_words=num_words,
                                   feat_channels=256,
                                   tau=0.002,  # the code's beta = 500
                                   downscale=1,
                                   loss_weight=beta),
            loss_quest_layer4=dict(type='QuESTLoss',
                                   num_words=num_words,
                                   feat_channels=512,
                                   tau=0.2,  # the code's beta = 5
                                   downscale=1,
                                   loss_weight=beta)),
        loss_forward_mappings=dict(
            loss_quest_layer3=dict(
                s_logits=dict(from_student=True,
                              recorder='quest3',
                              connector='quest_head3'),
                t_feature=dict(from_student=False, recorder='quest3')),
            loss_quest_layer4=dict(
                s_logits=dict(from_student=True,
                              recorder='quest4',
                              connector='quest_head4'),
                t_feature=dict(from_student=False, recorder='quest4')))))
find_unused_parameters = True

# ------------------------------------------------------------ schedule
# the authors' transfer optimizer: SGD momentum 0.9 without Nesterov
optim_wrapper = dict(optimizer=dict(
    type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=False))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[150], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
# evaluate the student and the teacher (the teacher's number is meaningless
# here: its head predicts the 1000 ImageNet classes)
val_cfg = dict(type='mmrazor.SingleTeacherDistillValLoop')
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)

# one vocabulary per level, each over all the training images (test
# pipeline), every vector clustered (max_points_per_centroid=1e7)
# The two vocabularies are the teacher's on ImageNet (K = 4096 each, built
# on a 200k-image subset), as the authors' transfer configs load them:
# from vocab_file by default. Where the files do not exist yet, set
# vocab_file=None (e.g. --cfg-options custom_hooks.0.vocab_file=None
# custom_hooks.1.vocab_file=None): the hooks then build them from
# `imagenet_vocab_loader` and save them to save_vocab_file. To build them on
# the target dataset instead, also set the hooks' dataloader=None.
vocab_files = {
    layer: f'checkpoints/quest_vocab_resnet34_in1k_{layer}_k4096.pth'
    for layer in ('layer3', 'layer4')
}
imagenet_vocab_loader = dict(
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
        _scope_='mmrazor',
        type='QuESTVocabularyHook',
        loss_name=f'loss_quest_{layer}',
        num_images=200000,
        batch_size=64,
        niter=20,
        seed=0,
        max_points_per_centroid=256,
        backend='auto',
        vocab_file=vocab_files[layer],
        save_vocab_file=vocab_files[layer],
        dataloader=imagenet_vocab_loader)
    for layer in ('layer3', 'layer4')
]
