# FitNet recipe of the MFD tables in one stage (the supplement's form for
# AD+FitNet, after CRD): HKD (`_base_hkd.py`: annealed lambda_h, T) plus
# 1/2 * MSE between the teacher's and the student's penultimate features
# (feature weight 1; same architecture, so no regressor), all at once.
# FitNet and SS+FitNet add the hint stage: `_base_fitnet_two_stage.py`.
# The leaf states the recorded features, `feat` on both sides.
_base_ = ['./_base_hkd.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_hint=dict(
                type='L2Loss',
                normalize=False,
                div_element=True,
                loss_weight=0.5)),
        loss_forward_mappings=dict(
            loss_hint=dict(
                s_feature=dict(from_student=True, recorder='feat'),
                t_feature=dict(from_student=False, recorder='feat')))))
