# RKD (Park et al., CVPR 2019) on CIFAR-100, resnet32x4 -> resnet8x4, with
# the CRD benchmark's recipe (RepDistiller): 1 x CE + 1 x (25 x distance-wise
# + 50 x angle-wise RKD) on the pooled vector (RepDistiller's feat[-1]),
# MMRazor's DistanceWiseRKD and AngleWiseRKD with with_l2_norm=False
# (RepDistiller does not L2-normalise; MMRazor does by default). 240 epochs,
# batch 64, SGD LR 0.05 x0.1 at 150/180/210.
_base_ = [
    '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py'
]

feat = _base_.layers.feat

# the neck (GlobalAveragePooling) returns a tuple of one (B, C) tensor:
# data_idx=0 takes the tensor
model = dict(
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source=feat.student)),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source=feat.teacher)),
        distill_losses=dict(
            loss_rkd_distance=dict(
                type='DistanceWiseRKD',
                loss_weight=25.0,
                with_l2_norm=False),
            loss_rkd_angle=dict(
                type='AngleWiseRKD',
                loss_weight=50.0,
                with_l2_norm=False)),
        loss_forward_mappings=dict(
            loss_rkd_distance=dict(
                preds_S=dict(
                    from_student=True, recorder='feat', data_idx=0),
                preds_T=dict(
                    from_student=False, recorder='feat', data_idx=0)),
            loss_rkd_angle=dict(
                preds_S=dict(
                    from_student=True, recorder='feat', data_idx=0),
                preds_T=dict(
                    from_student=False, recorder='feat', data_idx=0)))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
