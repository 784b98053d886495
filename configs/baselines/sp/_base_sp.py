# SP recipe (Tung & Mori, 2019; CRD benchmark): CE + 3000 x SP on the last
# conv map (the leaf states the `last` recorders).
_base_ = ['../../_base_/distill.py']
model = dict(
    distiller=dict(
        distill_losses=dict(loss_sp=dict(type='SPLoss', loss_weight=3000.0)),
        loss_forward_mappings=dict(
            loss_sp=dict(
                s_feature=dict(from_student=True, recorder='last'),
                t_feature=dict(from_student=False, recorder='last')))))
