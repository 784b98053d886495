# DigitsS, the digits analogue of CIFAR-10S: the bundled digits grey (group 0)
# or tinted with a random hue (group 1), skew 0.8 (digits 0-4 mostly grey, 5-9
# mostly colour), seeded by dataset.seed; the test set holds the 359 test
# digits in both versions (718). Random crop with 4-pixel padding (no flip:
# digits are not mirror-symmetric), pixels / 255. Batch 128.
# Files: python tools/dataset_converters/make_digits.py data/digits
dataset_type = 'DigitsS'
# One top-level data_root, read by every loader: tools/train.py and
# tools/test.py move them all with --cfg-options data_root=PATH.
data_root = 'data/digits'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    mean=[0.0, 0.0, 0.0],
    std=[255.0, 255.0, 255.0],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='PackInputs', algorithm_keys=('group', )),
]
test_pipeline = [dict(type='PackInputs', algorithm_keys=('group', ))]

train_dataloader = dict(
    batch_size=128,
    num_workers=0,
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
    batch_size=240,
    num_workers=0,
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
