# QuEST (Jain et al., ECCV 2020, https://arxiv.org/abs/1912.01540), the
# transfer-learning pattern of the paper's Section 4.2 (MIT-67 indoor
# scenes, the protocol of VID, Ahn et al. CVPR 2019): an ImageNet ResNet34
# teacher, a ResNet18 student trained from scratch on a small dataset.
# Where: layer3 (14x14x256) and layer4 (7x7x512) on both sides, TWO
# vocabularies of K = 4096 words each (supplement C.2; configs/quest/README.md).
# tau = 0.002 for layer3 (the code's beta = 500) and 0.2 for layer4
# (beta = 5), each chosen so that the mean closest-word probability is
# ~0.996 (supplement C.2): check yours with tools/analysis/quest_tau.py.
# Predictor: the authors' transfer configs use gamma = 10 fixed and a bias
#.
# Loss: L = 1.0 x CE + 10 x (L_QuEST(layer3) + L_QuEST(layer4)), i.e.
# alpha = 1, beta = 10 for a ResNet18 student (20 for VGG9), the per-level
# losses summed with weight 1.
# beta: the supplement tunes it on a 20% validation split of the training
# images to avoid overfitting the classification of the training images
# (VID's protocol). To tune it for your dataset, train with
# train_dataloader.dataset.data_prefix pointing at 80% of the training
# images and val_dataloader at the held-out 20%, sweep
# model.distiller.distill_losses.loss_quest_layer{3,4}.loss_weight (e.g.
# 1, 3, 10, 20), then retrain on all training images with the best value.
# Schedule (supplement C.2, VID's protocol): 200 epochs, batch 128, LR 0.05
# x0.1 at epoch 150; SGD momentum 0.9, weight decay 5e-4 and Nesterov are
# this config's assumptions (not stated for transfer learning).
# Data: mmpretrain's CustomDataset (local folders only, one sub-folder per
# class): data/mit67/train/<class>/*.jpg and data/mit67/test/<class>/*.jpg.
# ImageNet-style 224x224 pipeline.
# Teacher: an ImageNet-trained ResNet34 (its 1000-way head is unused).
# mmkd_plus never downloads: fetch mmpretrain's resnet34_8xb32_in1k
# checkpoint (https://download.openmmlab.com/mmclassification/v0/resnet/
# resnet34_8xb32_in1k_20210831-f257d4e6.pth) to
# checkpoints/resnet34_8xb32_in1k.pth beforehand.
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
optim_wrapper = dict(optimizer=dict(
    type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True))
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
custom_hooks = [
    dict(
        _scope_='mmrazor',
        type='QuESTVocabularyHook',
        loss_name=name,
        num_images=None,
        batch_size=64,
        niter=20,
        seed=0,
        max_points_per_centroid=1e7,
        backend='auto',
        vocab_file=None,
        save_vocab_file=None)
    for name in ('loss_quest_layer3', 'loss_quest_layer4')
]
