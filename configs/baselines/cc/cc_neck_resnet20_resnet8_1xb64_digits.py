# CC (Peng et al., ICCV 2019), RepDistiller variant, on the bundled digits:
# resnet20 -> resnet8, with the CRD benchmark's weights: 1 x CE + 0.02 x CC
# on 128-d linear embeddings of the pooled vectors (RepDistiller's feat[-1]);
# both embeddings are trained (CCLoss teacher_detach=False, its default, as
# RepDistiller).
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/datasets/digits_bs64.py',
    '../../_base_/schedules/digits_bs64_30e.py',
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
        connectors=dict(
            cc_s=dict(
                type='LinearEmbedConnector',
                in_channels=64,
                out_channels=128),
            cc_t=dict(
                type='LinearEmbedConnector',
                in_channels=64,
                out_channels=128)),
        distill_losses=dict(
            loss_cc=dict(type='CCLoss', loss_weight=0.02)),
        loss_forward_mappings=dict(
            loss_cc=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='feat',
                    data_idx=0,
                    connector='cc_s'),
                t_feature=dict(
                    from_student=False,
                    recorder='feat',
                    data_idx=0,
                    connector='cc_t')))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
