# SSKD's training views on CIFAR-100 (the authors' code): one horizontal flip
# shared by the four views, then rotation by 0/90/180/270 degrees, then a
# random crop (32, 4 pixels of zero padding) per view. The batch (B, 4, 3, 32, 32) holds
# every view; validation sees the normal images only. The paper's pool of
# transformations is the option in _base_sskd_pool_views_cifar100.py.
_base_ = ['../_base_/settings/cifar100_bs64_240e.py', './_base_sskd_transforms.py']
crop = _base_.train_pipeline[0]  # RandomCrop(32, padding=4), zero padding
train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(**_base_.rotation_views,
         transforms=[[crop]] + [[r, crop] for r in _base_.rotations]),
    dict(type='PackMultiViewInputs'),
]
data_preprocessor = dict(type='mmpretrain.MultiViewDataPreprocessor')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
