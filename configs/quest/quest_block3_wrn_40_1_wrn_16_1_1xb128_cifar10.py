# QuEST (Jain et al., ECCV 2020, https://arxiv.org/abs/1912.01540) on
# CIFAR-10: WRN-40-1 -> WRN-16-1, the pair of the supplement's Figure 1
# (error vs K).
# Where: block3 + final BN + ReLU (backbone.relu_final) on both sides,
# 8x8x64, as the official WRN pairs (the pair file's `layers.quest`).
# Loss: L = 1.0 x CE + 1.0 x L_QuEST; K = 256, tau = 0.005 (supplement C.1:
# alpha = beta = 1; exp(-d / tau), i.e. the code's beta = 200).
# Schedule: the SP protocol the supplement follows for CIFAR-10
# (configs/_base_/schedules/cifar10_bs128_200e.py: 200 epochs, batch 128,
# LR 0.1 x0.2 at 60/120/160, momentum 0.9, wd 5e-4), with Nesterov as in
# the authors' CIFAR-100 code (METHODS.md 1.6: "other settings as for
# CIFAR-100" is an assumption).
# Vocabulary: k-means of the teacher's vectors over all 50k training images
# (supplement B), every vector (max_points_per_centroid=1e7), built by
# QuESTVocabularyHook before training and stored in every checkpoint.
# The teacher checkpoint comes from
# configs/teachers/wrn_40_1_1xb128_cifar10.py.
_base_ = [
    '../_base_/pairs/wrn_40_1_wrn_16_1_cifar10.py',
    '../_base_/datasets/cifar10_bs128.py',
    '../_base_/schedules/cifar10_bs128_200e.py',
    '../_base_/default_runtime.py'
]

num_words = 256  # K (supplement C.1; Figure 1: 128-256 is best)
tau = 0.005  # exp(-d / tau) (supplement C.1)

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=1.0))),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(quest=dict(type='ModuleOutputs',
                                          source=_base_.layers.quest.student)),
        teacher_recorders=dict(quest=dict(type='ModuleOutputs',
                                          source=_base_.layers.quest.teacher)),
        connectors=dict(quest_head=dict(type='QuESTConnector',
                                        in_channels=64,
                                        num_words=num_words,
                                        scale_init=3.0,
                                        learn_scale=True)),
        distill_losses=dict(loss_quest=dict(
            type='QuESTLoss',
            num_words=num_words,
            feat_channels=64,
            tau=tau,
            downscale=_base_.layers.quest.downscale,
            loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_quest=dict(s_logits=dict(
                from_student=True, recorder='quest', connector='quest_head'),
                            t_feature=dict(from_student=False,
                                           recorder='quest')))))

optim_wrapper = dict(optimizer=dict(
    type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))

custom_hooks = [
    dict(
        _scope_='mmrazor',
        type='QuESTVocabularyHook',
        loss_name='loss_quest',
        num_images=None,  # all 50k training images (supplement B)
        batch_size=128,
        niter=20,
        seed=0,
        max_points_per_centroid=1e7,
        backend='auto',
        vocab_file=None,
        save_vocab_file=None)
]

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
