# QuEST (Jain et al., ECCV 2020, https://arxiv.org/abs/1912.01540) on
# CIFAR-100: WRN-40-2 -> ShuffleNetV1, a pair of the QuEST
# supplement's Table 1.
# Where: the pair file's `layers.quest` (the authors' code): teacher
# backbone.relu_final (128 channels), student backbone.layer3
# (960 channels); the teacher map is 2x2 average-pooled (downscale 2)
# to the student's 4x4, and the vocabulary is learned on the pooled vectors.
# Loss: L = 1.0 x CE + 1.0 x L_QuEST (supplement C.1: alpha = beta = 1,
# tau = 0.2, K = 4096; the authors' code: quest_loss_coef 1.0).
# tau = 0.2 is QuEST's exp(-d / tau) convention, the code's beta = 5.
# Schedule: the CRD recipe (configs/_base_/schedules/cifar100_bs64_240e.py:
# 240 epochs, batch 64, LR x0.1 at 150/180/210) with the QuEST code's
# differences (METHODS.md 1.6): SGD with Nesterov momentum 0.9, wd 5e-4,
# LR 0.01 (MobileNetV2 and ShuffleNet students, supplement C.1).
# Vocabulary: QuESTVocabularyHook runs k-means (20 iterations, L2, raw
# features) on the teacher's vectors of all 50k training images (test
# pipeline) before the first iteration, using every vector
# (max_points_per_centroid=1e7, as the authors' FAISS call; the hook's
# default 256 clusters a seeded sample of 1M vectors, which is faster), and
# stores it in every checkpoint (--resume does not rebuild it).
# The teacher checkpoint comes from
# configs/teachers/wrn_40_2_1xb64_cifar100.py (override with
# --cfg-options model.teacher_ckpt=PATH).
_base_ = [
    '../_base_/pairs/wrn_40_2_shufflenetv1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_bs64_240e.py', '../_base_/default_runtime.py'
]

num_words = 4096  # K (supplement C.1)
tau = 0.2  # exp(-d / tau); the authors' code: temperature (beta) = 5

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=1.0))),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(quest=dict(type='ModuleOutputs',
                                          source=_base_.layers.quest.student)),
        teacher_recorders=dict(quest=dict(type='ModuleOutputs',
                                          source=_base_.layers.quest.teacher)),
        connectors=dict(quest_head=dict(type='QuESTConnector',
                                        in_channels=960,
                                        num_words=num_words,
                                        scale_init=3.0,
                                        learn_scale=True)),
        distill_losses=dict(loss_quest=dict(
            type='QuESTLoss',
            num_words=num_words,
            feat_channels=128,
            tau=tau,
            downscale=_base_.layers.quest.downscale,
            loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_quest=dict(s_logits=dict(
                from_student=True, recorder='quest', connector='quest_head'),
                            t_feature=dict(from_student=False,
                                           recorder='quest')))))

optim_wrapper = dict(optimizer=dict(
    type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))

custom_hooks = [
    dict(
        _scope_='mmrazor',
        type='QuESTVocabularyHook',
        loss_name='loss_quest',
        num_images=None,  # all 50k training images (supplement B)
        batch_size=64,
        niter=20,
        seed=0,
        max_points_per_centroid=1e7,
        backend='auto',
        vocab_file=None,
        save_vocab_file=None)
]

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
