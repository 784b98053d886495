# CRD (Tian et al., ICLR 2020) on the bundled digits: resnet20 -> resnet8,
# with the CRD benchmark's weights: 1 x CE + 0.8 x CRD on 128-d embeddings
# (MMRazor's CRDConnector: linear + L2-norm, trained on both sides) of the
# pooled vectors (RepDistiller's feat[-1], the neck's output); our
# SyncCRDLoss (memory 2 x (1438 x 128), momentum 0.5, tau 0.07, Z on the
# first batch; synchronised across ranks under DDP).
# Negatives: 1024 per sample, not 16384: the digits have 1,438 training
# images, ~1,294 of them of other classes than a given sample; 16384 would
# repeat each ~13 times and make N/M = 11.4 (CIFAR-100: 16384 / 50000 =
# 0.33); 1024 are drawn without repeats, N/M = 0.71.
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/datasets/digits_bs64.py',
    '../../_base_/schedules/digits_bs64_30e.py',
    '../../_base_/default_runtime.py'
]

feat = _base_.layers.feat
num_data = 1438  # the digits train split: the rows of each memory bank
num_negatives = 1024

# the train pipeline of the base, packed with the sample's dataset index and
# its contrast indices
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='PackCRDInputs'),
]
# the train set, wrapped: each sample gets [itself, 1024 indices of samples
# of other classes] (the benchmark's 'exact' mode)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        _scope_='mmpretrain',
        type='CRDDatasetWrapper',
        num_negatives=num_negatives,
        sample_mode='exact',
        dataset=dict(
            type=_base_.dataset_type,
            data_root=_base_.data_root,
            split='train',
            pipeline=train_pipeline)))

# the neck (GlobalAveragePooling) returns a tuple of one (B, C) tensor:
# data_idx=0 takes the tensor. The data samples are the inputs of the
# student classifier's loss(inputs, data_samples) (data_idx=1), recorded
# only while the student runs
model = dict(
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source=feat.student),
            data_samples=dict(
                type='MethodInputs',
                source='mmpretrain.models.classifiers.ImageClassifier.loss')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source=feat.teacher)),
        connectors=dict(
            crd_s=dict(type='CRDConnector', dim_in=64, dim_out=128),
            crd_t=dict(type='CRDConnector', dim_in=64, dim_out=128)),
        distill_losses=dict(
            loss_crd=dict(
                type='SyncCRDLoss',
                num_data=num_data,
                feat_dim=128,
                num_negatives=num_negatives,
                temperature=0.07,
                momentum=0.5,
                loss_weight=0.8)),
        loss_forward_mappings=dict(
            loss_crd=dict(
                s_feats=dict(
                    from_student=True,
                    recorder='feat',
                    data_idx=0,
                    connector='crd_s'),
                t_feats=dict(
                    from_student=False,
                    recorder='feat',
                    data_idx=0,
                    connector='crd_t'),
                data_samples=dict(
                    from_student=True, recorder='data_samples', data_idx=1)))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
