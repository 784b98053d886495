# QuEST (Jain et al., ECCV 2020, https://arxiv.org/abs/1912.01540) on
# ImageNet-1k: ResNet50 -> MobileNetV2 (the paper's Section 4.1).
# Where: the teacher's layer4 (7x7x2048) and the student's last conv stage,
# torchvision's `features` (+ReLU6) = mmpretrain MobileNetV2's
# backbone.conv2 (the 1x1 conv to 1280 channels, BN, ReLU6; 7x7x1280), both
# 7x7 at 224x224; checked by building both networks.
# Loss: L = 1.0 x CE + 1.0 x L_QuEST, tau = 0.2 (the code's beta = 5),
# K = 4096 (supplement C.1: alpha = beta = 1).
# Schedule (supplement C.1): 100 epochs, SGD Nesterov momentum 0.9, wd 1e-4,
# LR 0.1 x0.1 every 30 epochs. The supplement used batch 210 for this pair
# (GPU memory); this config keeps 8 GPUs x 32 = 256 with the same LR 0.1
# (set train_dataloader.batch_size and use --auto-scale-lr to change it).
# Vocabulary: k-means of the teacher's layer4 vectors of a seeded random
# 200k-image subset (supplement B), built by QuESTVocabularyHook before
# training (max_points_per_centroid=256: a seeded 1M-vector sample of the
# 9.8M) and stored in every checkpoint.
# Teacher: an ImageNet-trained ResNet50. mmkd_plus never downloads: fetch
# mmpretrain's resnet50_8xb32_in1k checkpoint (mmpretrain's
# configs/resnet/metafile.yml: https://download.openmmlab.com/
# mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth) to
# checkpoints/resnet50_8xb32_in1k.pth beforehand, or set
# --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../_base_/datasets/imagenet_bs32.py', '../_base_/default_runtime.py'
]

num_words = 4096  # K (supplement C.1)
tau = 0.2  # exp(-d / tau); the authors' code: temperature (beta) = 5

model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    architecture=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(type='MobileNetV2', widen_factor=1.0),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=1280,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher=dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=50, num_stages=4,
                      out_indices=(3, ), style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=2048,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher_ckpt='checkpoints/resnet50_8xb32_in1k.pth',
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(quest=dict(type='ModuleOutputs',
                                          source='backbone.conv2')),
        teacher_recorders=dict(quest=dict(type='ModuleOutputs',
                                          source='backbone.layer4')),
        connectors=dict(quest_head=dict(type='QuESTConnector',
                                        in_channels=1280,
                                        num_words=num_words,
                                        scale_init=3.0,
                                        learn_scale=True)),
        distill_losses=dict(loss_quest=dict(type='QuESTLoss',
                                            num_words=num_words,
                                            feat_channels=2048,
                                            tau=tau,
                                            downscale=1,
                                            loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_quest=dict(s_logits=dict(
                from_student=True, recorder='quest', connector='quest_head'),
                            t_feature=dict(from_student=False,
                                           recorder='quest')))))
find_unused_parameters = True

optim_wrapper = dict(optimizer=dict(
    type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
# evaluate the student and the teacher
val_cfg = dict(type='mmrazor.SingleTeacherDistillValLoop')
test_cfg = dict()
# LR 0.1 is for batch 256 (8 x 32); --auto-scale-lr scales it
auto_scale_lr = dict(base_batch_size=256)

custom_hooks = [
    dict(
        _scope_='mmrazor',
        type='QuESTVocabularyHook',
        loss_name='loss_quest',
        num_images=200000,  # a random 200k subset (supplement B)
        batch_size=64,
        niter=20,
        seed=0,
        max_points_per_centroid=256,
        backend='auto',
        vocab_file=None,
        save_vocab_file=None)
]
