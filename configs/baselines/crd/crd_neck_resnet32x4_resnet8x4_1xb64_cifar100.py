# CRD (Tian et al., ICLR 2020) on CIFAR-100, resnet32x4
# -> resnet8x4, with the CRD benchmark's recipe (RepDistiller):
# 1 x CE + 0.8 x CRD on 128-d embeddings (MMRazor's CRDConnector: linear +
# L2-norm, trained on both sides) of the pooled vectors (RepDistiller's
# feat[-1], the neck's output); our SyncCRDLoss (memory 2 x (50000 x 128),
# momentum 0.5, 16384 negatives of other classes ('exact'), tau 0.07, Z on
# the first batch; synchronised across ranks under DDP). 240 epochs, batch
# 64, SGD LR 0.05 x0.1 at 150/180/210.
_base_ = [
    '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py'
]

feat = _base_.layers.feat
num_data = 50000  # the CIFAR-100 train split: the rows of each memory bank
num_negatives = 16384

# the train pipeline of the base, packed with the sample's dataset index and
# its contrast indices
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4, padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackCRDInputs'),
]
# the train set, wrapped: each sample gets [itself, 16384 indices of samples
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
            crd_s=dict(type='CRDConnector', dim_in=256, dim_out=128),
            crd_t=dict(type='CRDConnector', dim_in=256, dim_out=128)),
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
