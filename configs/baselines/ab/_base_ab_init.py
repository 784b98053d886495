# AB recipe, initialisation stage (Heo et al., 2019; CRD benchmark): the
# student's pre-activation stage outputs learn the teacher's activation
# boundaries (margin 1, per-layer weights 2 ** (i - n + 1)) with no CE.
# The pair base (_base_ab_<pair>.py) states the pre-activation recorders
# p1-p3; the stage leaves add the settings.
_base_ = ['../../_base_/distill.py']
model = dict(
    calculate_student_loss=False,
    distiller=dict(
        distill_losses=dict(
            loss_ab_1=dict(type='ABLoss', margin=1.0, loss_weight=0.25),
            loss_ab_2=dict(type='ABLoss', margin=1.0, loss_weight=0.5),
            loss_ab_3=dict(type='ABLoss', margin=1.0, loss_weight=1.0)),
        loss_forward_mappings={
            f'loss_ab_{i}':
            dict(
                s_feature=dict(from_student=True, recorder=f'p{i}'),
                t_feature=dict(from_student=False, recorder=f'p{i}'))
            for i in (1, 2, 3)
        }))
