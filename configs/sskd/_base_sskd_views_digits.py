# SSKD's training views on the bundled digits: rotation by 0/90/180/270
# degrees, then a random crop (32, padding 4) per view (no flip: digits are
# not mirror-symmetric). Validation sees the normal images only. The
# self-supervised tasks of the ablation have their own views:
# _base_sskd_jigsaw_views_digits.py, _base_sskd_exemplar_views_digits.py.
_base_ = ['../_base_/settings/digits_bs64_30e.py']
__crop = dict(type='RandomCrop', crop_size=32, padding=4)
train_pipeline = [
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
