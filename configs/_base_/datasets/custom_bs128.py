# Your own images in class folders, with mmpretrain's CustomDataset:
# data/mit67/{train,test}/<class>/<image> here, the MIT-67 pattern of QuEST's
# transfer experiments (67 indoor scenes); point data_root and
# data_preprocessor.num_classes at your data. ImageNet's transforms and
# normalisation (train: random-resized crop 224 and flip; test: resize the
# short edge to 256, centre crop 224) with cifar100_bs64.py's loaders at
# batch 128.
_base_ = ['./cifar100_bs64.py']
dataset_type = 'CustomDataset'
# One top-level data_root, read by every loader: tools/train.py and
# tools/test.py move them all with --cfg-options data_root=PATH.
data_root = 'data/mit67'
data_preprocessor = dict(
    num_classes=67,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
# the class folders under data_prefix, no split files
__data = dict(
    _delete_=True,
    _scope_='mmpretrain',
    type=dataset_type,
    data_root=data_root)
train_dataloader = dict(
    batch_size=128,
    dataset=dict(__data, data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    dataset=dict(__data, data_prefix='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
