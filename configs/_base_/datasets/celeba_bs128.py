# CelebA (MFD's setting): class = Attractive, group = Male (dataset keys
# target_attr / sensitive_attr), the official partition, the test set
# balanced down to its smallest (group, class) cell. Train: random resized
# crop 176, horizontal flip; test: short edge 176 (176 x 215); ImageNet
# normalisation. Batch 128.
# Files: data/celeba/{img_align_celeba/,list_attr_celeba.txt,list_eval_partition.txt}
dataset_type = 'CelebA'
data_root = 'data/celeba'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=2,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=176),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=('group', )),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=176, edge='short'),
    dict(type='PackInputs', algorithm_keys=('group', )),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        split='train',
        target_attr='Attractive',
        sensitive_attr='Male',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        split='test',
        target_attr='Attractive',
        sensitive_attr='Male',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.FairnessMetric')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
