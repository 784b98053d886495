# MFD recipe (Jung et al., CVPR 2021): CE + (lambda / 2) * sum over (class,
# group) cells of MMD^2(teacher class features, student class-and-group
# features), RBF kernel with the batch-mean bandwidth (sigma 1). The leaf
# states the recorded penultimate features (`feat`), binds a `_balanced`
# setting (batches balanced over (group, label) cells, as the MFD code
# trains MFD) and may set the weight (lambda / 2).
_base_ = ['../_base_/distill.py']
model = dict(
    distiller=dict(
        # the batch's data samples (labels, groups): the inputs of the
        # student head's loss, (feats, data_samples)
        student_recorders=dict(
            samples=dict(
                type='MethodInputs',
                source='mmpretrain.models.heads.ClsHead.loss')),
        connectors=dict(
            mmd_s=dict(type='MMDFeatureConnector'),
            mmd_t=dict(type='MMDFeatureConnector')),
        distill_losses=dict(
            loss_mfd=dict(
                type='MFDLoss', sigma=1.0, kernel='rbf', loss_weight=1.5)),
        loss_forward_mappings=dict(
            loss_mfd=dict(
                s_feature=dict(
                    from_student=True, recorder='feat', connector='mmd_s'),
                t_feature=dict(
                    from_student=False, recorder='feat', connector='mmd_t'),
                data_samples=dict(
                    from_student=True, recorder='samples', data_idx=1)))))
