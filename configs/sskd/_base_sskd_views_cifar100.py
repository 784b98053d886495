# SSKD's training views on CIFAR-100 (the authors' code): one horizontal flip
# shared by the four views, then rotation by 0/90/180/270 degrees
# (mmpretrain's Rotate: exact on square images), then a random crop (32, 4
# pixels of zero padding, as the CIFAR-100 data's) per view. The batch
# (B, 4, 3, 32, 32) holds every view; validation sees the normal images
# only. The paper's pool of transformations is the option in
# _base_sskd_pool_views_cifar100.py.
_base_ = ['../_base_/settings/cifar100_bs64_240e.py']
__crop = dict(type='RandomCrop', crop_size=32, padding=4)
train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='LabelledMultiView',
        num_views=[1, 1, 1, 1],
        view_labels=[0, 1, 2, 3],
        view_names=['normal', 'rot90', 'rot180', 'rot270'],
        transforms=[[__crop]] + [[
            dict(type='Rotate', angle=a, prob=1.0, random_negative_prob=0.0),
            __crop
        ] for a in (90.0, 180.0, 270.0)]),
    dict(type='PackMultiViewInputs'),
]
data_preprocessor = dict(type='mmpretrain.MultiViewDataPreprocessor')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
