# The "+KD" term of the contrastive methods' tables (CRD+KD, WCoRD+KD): Hinton
# KD with T = 4 and weight 1 beside the method's own loss. Merge it into a
# recipe's distiller: model = dict(distiller=_base_.kd_term).
kd_term = dict(
    student_recorders=dict(fc=dict(type='ModuleOutputs', source='head.fc')),
    teacher_recorders=dict(fc=dict(type='ModuleOutputs', source='head.fc')),
    distill_losses=dict(
        loss_kd=dict(type='KLDivergence', tau=4, loss_weight=1.0)),
    loss_forward_mappings=dict(
        loss_kd=dict(
            preds_S=dict(from_student=True, recorder='fc'),
            preds_T=dict(from_student=False, recorder='fc'))))
