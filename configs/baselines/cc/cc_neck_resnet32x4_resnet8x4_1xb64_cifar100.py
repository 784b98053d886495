# CC (Peng et al., ICCV 2019), RepDistiller variant, on CIFAR-100, resnet32x4
# -> resnet8x4, with the CRD benchmark's recipe (RepDistiller): 1 x CE + 0.02
# x CC on 128-d linear embeddings of the pooled vectors (RepDistiller's
# feat[-1]); both embeddings are trained (CCLoss teacher_detach=False, its
# default, as RepDistiller). 240 epochs, batch 64, SGD LR 0.05 x0.1 at
# 150/180/210.
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
        connectors=dict(
            cc_s=dict(
                type='LinearEmbedConnector',
                in_channels=256,
                out_channels=128),
            cc_t=dict(
                type='LinearEmbedConnector',
                in_channels=256,
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
