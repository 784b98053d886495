# HKD recipe of the MFD tables (Hinton KD as the MFD code runs it): CE +
# lambda_h * KD(T) on the logits, lambda_h annealed linearly from 4 in the
# first epoch to 1 in the last; T = 3 here (the supplement's Table 1: T = 1
# for CIFAR-10S, 3 UTKFace, 5 CelebA; leaves set `tau`).
_base_ = ['../_base_/distill.py']
model = dict(
    distiller=dict(
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kd=dict(type='KLDivergence', tau=3, loss_weight=4.0)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc')))))
custom_hooks = [
    dict(
        type='mmrazor.LinearLossWeightHook',
        loss_name='loss_kd',
        start=4.0,
        end=1.0)
]
