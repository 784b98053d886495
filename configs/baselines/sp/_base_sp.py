# SP recipe (Tung & Mori, 2019; CRD benchmark): CE + 3000 x SP on the last
# conv map (the leaf merges a pair's `last` recorders).
model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    distiller=dict(
        type='ConfigurableDistiller',
        distill_losses=dict(loss_sp=dict(type='SPLoss', loss_weight=3000.0)),
        loss_forward_mappings=dict(
            loss_sp=dict(
                s_feature=dict(from_student=True, recorder='last'),
                t_feature=dict(from_student=False, recorder='last')))))
