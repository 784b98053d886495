# SSKD's training views on CIFAR-100 (the authors' code): one horizontal flip
# shared by the four views, then rotation by 0/90/180/270 degrees, then a
# random crop (32, padding 4) per view. The batch (B, 4, 3, 32, 32) holds
# every view; validation sees the normal images only. The paper's pool of
# transformations is the option in _base_sskd_pool_views_cifar100.py.
_base_ = ['../_base_/settings/cifar100_bs64_240e.py', './_base_sskd_transforms.py']
crop = dict(type='RandomCrop', crop_size=32, padding=4, padding_mode='reflect')
train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(**_base_.rotation_views,
         transforms=[[crop]] + [[r, crop] for r in _base_.rotations]),
    dict(type='PackMultiViewInputs'),
]
data_preprocessor = dict(type='mmpretrain.MultiViewDataPreprocessor')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
