# RKD recipe (Park et al., 2019; CRD benchmark): CE + 25 x distance-wise +
# 50 x angle-wise RKD on the pooled vector, without L2-normalisation.
_base_ = ['../../_base_/distill.py']
model = dict(
    distiller=dict(
        student_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        distill_losses=dict(
            loss_rkd_distance=dict(
                type='DistanceWiseRKD', with_l2_norm=False, loss_weight=25.0),
            loss_rkd_angle=dict(
                type='AngleWiseRKD', with_l2_norm=False, loss_weight=50.0)),
        loss_forward_mappings={
            name:
            dict(
                preds_S=dict(from_student=True, recorder='feat', data_idx=0),
                preds_T=dict(from_student=False, recorder='feat', data_idx=0))
            for name in ('loss_rkd_distance', 'loss_rkd_angle')
        }))
