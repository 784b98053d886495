# CIFAR-100 as in the CRD benchmark (RepDistiller's dataset/cifar100.py, for
# its teachers, the thirteen baselines, CRD and WCoRD): batch 64, random crop
# 32 with 4 pixels of zero padding and horizontal flip, the dataset's mean
# and std; test: normalisation only. QuEST's recipe pads by reflection
# instead (its authors' code); SSKD's builds its views from these parts.
# Files: data/cifar100/cifar-100-python/{train,test,meta}
dataset_type = 'LocalCIFAR100'
# One top-level data_root, read by every loader: tools/train.py and
# tools/test.py move them all with --cfg-options data_root=PATH.
data_root = 'data/cifar100'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    persistent_workers=True,
)
# the test split through the test pipeline, in order, at batch 128
val_dataloader = dict(
    train_dataloader,
    batch_size=128,
    dataset=dict(
        train_dataloader['dataset'], split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
