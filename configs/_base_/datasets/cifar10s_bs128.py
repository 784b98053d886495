# CIFAR-10S (MFD's recipe): CIFAR-10 with grey (group 0) / colour (group 1)
# images, skew 0.8, the grey/colour assignment seeded by dataset.seed (keep it
# equal to randomness.seed, as the MFD code does); the test set holds all
# 10,000 test images in both versions. Horizontal flip only, no
# normalisation (pixels / 255). Batch 128.
# Files: data/cifar10/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}
dataset_type = 'CIFAR10S'
# One top-level data_root, read by every loader: tools/train.py and
# tools/test.py move them all with --cfg-options data_root=PATH.
data_root = 'data/cifar10'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    mean=[0.0, 0.0, 0.0],
    std=[255.0, 255.0, 255.0],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=('group', )),
]
test_pipeline = [dict(type='PackInputs', algorithm_keys=('group', ))]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        split='train',
        skew=0.8,
        seed=0,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# top-1, per-(group, class) accuracy, DEO_M, DEO_A and the test loss
val_evaluator = dict(type='mmpretrain.FairnessMetric')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
