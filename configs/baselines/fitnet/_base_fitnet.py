# FitNet recipe (Romero et al., 2015; CRD benchmark): CE + 100 x MSE between
# the teacher's hint layer and the student's, through a 1x1 conv + BN + ReLU
# regressor (the leaf states the `hint` recorders and the channel counts).
_base_ = ['../../_base_/distill.py']
model = dict(
    distiller=dict(
        connectors=dict(
            hint_s=dict(
                type='ConvModuleConnector',
                kernel_size=1,
                norm_cfg=dict(type='BN'),
                act_cfg=dict(type='ReLU'))),
        distill_losses=dict(
            loss_hint=dict(
                type='L2Loss',
                normalize=False,
                div_element=True,
                loss_weight=100.0)),
        loss_forward_mappings=dict(
            loss_hint=dict(
                s_feature=dict(
                    from_student=True, recorder='hint', connector='hint_s'),
                t_feature=dict(from_student=False, recorder='hint')))))
