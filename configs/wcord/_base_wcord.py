# WCoRD recipe (Chen et al., CVPR 2021): CE + 0.8 x GCKT (CRD's contrastive
# objective over the memory bank, the critic's embeddings under spectral
# norm; see README.md for what that does) + 0.1 x LCKT (entropic optimal transport between the
# batch's student and teacher embeddings). The embeddings live in the loss;
# the leaf sets their input widths from the pair's `channels.feat`.
_base_ = ['../_base_/distill.py']
model = dict(
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='neck'),
            data_samples=dict(
                type='MethodInputs',
                source='mmpretrain.models.classifiers.ImageClassifier.loss')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        distill_losses=dict(
            loss_wcord=dict(
                type='WCoRDLoss',
                feat_dim=128,
                temperature=0.07,
                momentum=0.5,
                gckt_weight=0.8,
                lckt_weight=0.1,
                lipschitz='spectral_norm',
                ot_cost='cosine',
                ot_epsilon=0.05,
                ot_iters=50)),
        loss_forward_mappings=dict(
            loss_wcord=dict(
                s_feats=dict(from_student=True, recorder='feat', data_idx=0),
                t_feats=dict(from_student=False, recorder='feat', data_idx=0),
                data_samples=dict(
                    from_student=True, recorder='data_samples',
                    data_idx=1)))))
