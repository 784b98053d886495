# VID (Ahn et al., CVPR 2019) on the bundled digits: resnet20 -> resnet8,
# with the CRD benchmark's weights: 1 x CE + 1 x the sum of VID over the
# three stage outputs (RepDistiller's feat[1:-1]): per stage a
# VIDRegressorConnector (student channels -> teacher channels) and a VIDLoss
# holding the per-channel variance (both trained with the student).
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/datasets/digits_bs64.py',
    '../../_base_/schedules/digits_bs64_30e.py',
    '../../_base_/default_runtime.py'
]

stages = _base_.layers.stages

model = dict(
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            s1=dict(type='ModuleOutputs', source=stages.student[0]),
            s2=dict(type='ModuleOutputs', source=stages.student[1]),
            s3=dict(type='ModuleOutputs', source=stages.student[2])),
        teacher_recorders=dict(
            s1=dict(type='ModuleOutputs', source=stages.teacher[0]),
            s2=dict(type='ModuleOutputs', source=stages.teacher[1]),
            s3=dict(type='ModuleOutputs', source=stages.teacher[2])),
        connectors=dict(
            vid_s1=dict(
                type='VIDRegressorConnector',
                in_channels=16,
                out_channels=16),
            vid_s2=dict(
                type='VIDRegressorConnector',
                in_channels=32,
                out_channels=32),
            vid_s3=dict(
                type='VIDRegressorConnector',
                in_channels=64,
                out_channels=64)),
        distill_losses=dict(
            loss_vid_1=dict(
                type='VIDLoss', num_channels=16, loss_weight=1.0),
            loss_vid_2=dict(
                type='VIDLoss', num_channels=32, loss_weight=1.0),
            loss_vid_3=dict(
                type='VIDLoss', num_channels=64, loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_vid_1=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='s1',
                    connector='vid_s1'),
                t_feature=dict(from_student=False, recorder='s1')),
            loss_vid_2=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='s2',
                    connector='vid_s2'),
                t_feature=dict(from_student=False, recorder='s2')),
            loss_vid_3=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='s3',
                    connector='vid_s3'),
                t_feature=dict(from_student=False, recorder='s3')))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
