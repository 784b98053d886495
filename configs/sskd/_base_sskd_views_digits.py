# SSKD's training views on the bundled digits: rotation by 0/90/180/270
# degrees, then a random crop (32, padding 4) per view (no flip: digits are
# not mirror-symmetric). Validation sees the normal images only. For the
# self-supervised tasks of the ablation: jigsaw_pipeline (three 2x2-jigsaw
# copies) and exemplar_pipeline (the paper's pool, each view labelled by the
# image's index).
_base_ = ['../_base_/settings/digits_bs64_30e.py', './_base_sskd_transforms.py']
crop = dict(type='RandomCrop', crop_size=32, padding=4)
train_pipeline = [
    dict(**_base_.rotation_views,
         transforms=[[crop]] + [[r, crop] for r in _base_.rotations]),
    dict(type='PackMultiViewInputs'),
]
jigsaw_pipeline = [
    dict(**_base_.jigsaw_views, transforms=[[crop], [crop, _base_.jigsaw]]),
    dict(type='PackMultiViewInputs'),
]
exemplar_pipeline = [
    dict(**dict(_base_.pool_views, view_labels=['sample_idx'] * 5),
         transforms=[[crop]] + [[crop, *p] for p in _base_.pool]),
    dict(type='PackMultiViewInputs'),
]
data_preprocessor = dict(type='mmpretrain.MultiViewDataPreprocessor')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
