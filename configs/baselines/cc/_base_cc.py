# CC recipe (Peng et al., 2019; the CRD benchmark's variant): CE + 0.02 x CC
# on 128-d linear embeddings of the pooled vectors (the leaf sets their
# input widths, the networks' pooled features').
_base_ = ['../../_base_/distill.py']
model = dict(
    distiller=dict(
        student_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        connectors=dict(
            cc_s=dict(type='LinearEmbedConnector', out_channels=128),
            cc_t=dict(type='LinearEmbedConnector', out_channels=128)),
        distill_losses=dict(loss_cc=dict(type='CCLoss', loss_weight=0.02)),
        loss_forward_mappings=dict(
            loss_cc=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='feat',
                    data_idx=0,
                    connector='cc_s'),
                t_feature=dict(
                    from_student=False,
                    recorder='feat',
                    data_idx=0,
                    connector='cc_t')))))
