# The jigsaw task's views on the digits (the supplement's ablation): the
# normal image and three copies whose 2x2 tiles are permuted, each labelled
# by its permutation (24 classes; the normal view: the identity), every view
# randomly cropped (32, padding 4).
_base_ = ['./_base_sskd_views_digits.py']
__crop = dict(type='RandomCrop', crop_size=32, padding=4)
train_pipeline = [
    dict(
        type='LabelledMultiView',
        num_views=[1, 3],
        view_labels=[0, 0, 0, 0],
        view_names=['normal', 'jigsaw1', 'jigsaw2', 'jigsaw3'],
        transforms=[[__crop], [__crop,
                               dict(type='JigsawPermute', grid=2)]]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
