# UTKFace (MFD's split and transforms): class = age bin (<20, 20-39, >=40),
# group = race (White, Black, Asian, Indian); the last 100 images of every
# (race, age) cell after a seed-1 shuffle are the test set (1,200). As the
# MFD code (data_handler/dataloader_factory.py): train: resize to 256 x 256
# (a squash, not a short-edge resize), random crop 176, horizontal flip;
# test: resize to 176 x 176; ImageNet normalisation. Batch 128.
# Files: data/utkface/UTKFace/<age>_<gender>_<race>_<date>.jpg.chip.jpg
dataset_type = 'UTKFace'
data_root = 'data/utkface'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=3,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256)),
    dict(type='RandomCrop', crop_size=176),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=('group', )),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(176, 176)),
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
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
# the test split through the test pipeline, in order, at the same batch size
val_dataloader = dict(
    train_dataloader,
    dataset=dict(
        train_dataloader['dataset'], split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='mmpretrain.FairnessMetric')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
