# QuEST recipe (Jain et al., ECCV 2020): CE + 1.0 x the KL divergence between
# the teacher's soft assignment to a k-means vocabulary of its features
# (K = 4096, tau = 0.2) and the student's predicted assignment (a cosine
# 1x1 conv, learnable scale from 3.0). The leaf states its pair: the
# layers (recorders `quest`), the head's and the loss's channels and the
# teacher's `downscale`; the dataset recipes bind the data, the schedule
# and the vocabulary hook's settings.
_base_ = ['../_base_/distill.py']
model = dict(
    distiller=dict(
        connectors=dict(
            quest_head=dict(
                type='QuESTConnector',
                num_words=4096,
                scale_init=3.0,
                learn_scale=True)),
        distill_losses=dict(
            loss_quest=dict(
                type='QuESTLoss', num_words=4096, tau=0.2, loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_quest=dict(
                s_logits=dict(
                    from_student=True,
                    recorder='quest',
                    connector='quest_head'),
                t_feature=dict(from_student=False, recorder='quest')))))
# the vocabulary: k-means (20 iterations, L2, raw features) on the teacher's
# vectors of every training image, built before the first iteration and
# kept in the checkpoint; the dataset recipes adapt it (custom_hooks[0])
custom_hooks = [
    dict(
        _scope_='mmrazor',
        type='QuESTVocabularyHook',
        loss_name='loss_quest',
        num_images=None,
        batch_size=64,
        niter=20,
        seed=0,
        max_points_per_centroid=1e7,
        backend='auto',
        vocab_file=None,
        save_vocab_file=None)
]
