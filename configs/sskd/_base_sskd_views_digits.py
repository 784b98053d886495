# SSKD's training views on the bundled digits: rotation by 0/90/180/270
# degrees, then a random crop (32, padding 4) per view (no flip: digits are
# not mirror-symmetric). Validation sees the normal images only.
_base_ = ['../_base_/settings/digits_bs64_30e.py', './_base_sskd_rotations.py']
crop = dict(type='RandomCrop', crop_size=32, padding=4)
train_pipeline = [
    dict(**_base_.rotation_views,
         transforms=[[crop]] + [[r, crop] for r in _base_.rotations]),
    dict(type='PackMultiViewInputs'),
]
data_preprocessor = dict(type='mmpretrain.MultiViewDataPreprocessor')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
