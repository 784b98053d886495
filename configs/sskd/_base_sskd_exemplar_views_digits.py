# The exemplar task's views on the digits (the supplement's ablation): the
# normal image and the paper's pool of transformations (colour dropping, a
# rotation, a random resized crop, colour jitter; see
# _base_sskd_pool_views_cifar100.py), every view randomly cropped (32,
# padding 4) and labelled by the image's index (one class per training
# image).
_base_ = ['./_base_sskd_views_digits.py']
__crop = dict(type='RandomCrop', crop_size=32, padding=4)
__pool = [
    [
        dict(
            type='RandomGrayscale',
            prob=1.0,
            keep_channels=True,
            channel_weights=(0.299, 0.587, 0.114),
            color_format='rgb')
    ],
    [
        dict(
            type='RandomChoice',
            transforms=[[
                dict(
                    type='Rotate', angle=a, prob=1.0, random_negative_prob=0.0)
            ] for a in (90.0, 180.0, 270.0)])
    ],
    [
        dict(
            type='RandomResizedCrop',
            scale=32,
            crop_ratio_range=(0.08, 1.0),
            aspect_ratio_range=(3. / 4., 4. / 3.))
    ],
    [
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
        dict(type='RandomHue', hue=0.1)
    ],
]
train_pipeline = [
    dict(
        type='LabelledMultiView',
        num_views=[1, 1, 1, 1, 1],
        view_labels=['sample_idx'] * 5,
        view_names=[
            'normal', 'colour_drop', 'rotation', 'crop_resize', 'colour_jitter'
        ],
        transforms=[[__crop]] + [[__crop, *p] for p in __pool]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
