# The paper's transformation pool on CIFAR-100 (_base_sskd_transforms.py), an
# option to the authors' rotations: after the shared flip and a per-view
# crop (32, padding 4), four transformed copies.
_base_ = ['./_base_sskd_views_cifar100.py']
train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(**_base_.pool_views,
         transforms=[[_base_.crop]] + [[_base_.crop, *p] for p in _base_.pool]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
