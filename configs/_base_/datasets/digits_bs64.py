# The scikit-learn digits written in CIFAR-10 format (make demo / the tests
# create them: python tools/dataset_converters/make_digits.py data/digits).
# 1,438 train / 359 test images, 32x32x3, 10 classes. Random crop with
# 4-pixel padding; no flip (digits are not mirror-symmetric).
dataset_type = 'DigitsCIFAR'
# One top-level data_root, read by every loader: tools/train.py and
# tools/test.py move them all with --cfg-options data_root=PATH.
data_root = 'data/digits'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    mean=[77.85, 77.85, 77.85],
    std=[95.85, 95.85, 95.85],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
# the test split through the test pipeline, in order, at batch 120
val_dataloader = dict(
    train_dataloader,
    batch_size=120,
    dataset=dict(
        train_dataloader['dataset'], split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
