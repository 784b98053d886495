# WCoRD+KD (the WCoRD table's "+KD" rows): Hinton KD on the logits (T = 4,
# weight 1) beside WCoRD; the dataset recipes _base_wcord+kd_<data>.py bind
# it to its data as _base_wcord_<data>.py does WCoRD.
_base_ = ['./_base_wcord.py']
model = dict(
    distiller=dict(
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kd=dict(type='KLDivergence', tau=4, loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))))
