# CRD recipe (Tian et al., 2020; CRD benchmark): CE + 0.8 x CRD on 128-d
# embeddings (linear + L2-norm) of the pooled vectors, with SyncCRDLoss's
# memory (momentum 0.5, tau 0.07, synchronised across ranks). The dataset
# recipes set the memory size and the negatives; the leaf sets the embedding
# input widths, the networks' pooled features'.
_base_ = ['../../_base_/distill.py']
model = dict(
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='neck'),
            data_samples=dict(
                type='MethodInputs',
                source='mmpretrain.models.classifiers.ImageClassifier.loss')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        connectors=dict(
            crd_s=dict(type='CRDConnector', dim_out=128),
            crd_t=dict(type='CRDConnector', dim_out=128)),
        distill_losses=dict(
            loss_crd=dict(
                type='SyncCRDLoss',
                feat_dim=128,
                temperature=0.07,
                momentum=0.5,
                loss_weight=0.8)),
        loss_forward_mappings=dict(
            loss_crd=dict(
                s_feats=dict(
                    from_student=True,
                    recorder='feat',
                    data_idx=0,
                    connector='crd_s'),
                t_feats=dict(
                    from_student=False,
                    recorder='feat',
                    data_idx=0,
                    connector='crd_t'),
                data_samples=dict(
                    from_student=True, recorder='data_samples', data_idx=1)))))
