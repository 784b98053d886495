# The paper's transformation pool on CIFAR-100 (supplement Sec. 2.2), an
# option to the authors' rotations: after the shared flip and a per-view
# crop (32, padding 4), four transformed copies: colour dropping (L = 0.299
# R + 0.587 G + 0.114 B, RGB images), a rotation by 90, 180 or 270 degrees,
# a random resized crop (scale 0.08-1, aspect 3/4-4/3, back to 32x32) and
# colour jitter (brightness, contrast, saturation 0.6-1.4, hue +-0.1).
_base_ = ['./_base_sskd_views_cifar100.py']
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
    # hue apart: mmcv's adjust_hue fails on numpy >= 2 for negative shifts
    [
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
        dict(type='RandomHue', hue=0.1)
    ],
]
train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='LabelledMultiView',
        num_views=[1, 1, 1, 1, 1],
        view_labels=[0, 1, 2, 3, 4],
        view_names=[
            'normal', 'colour_drop', 'rotation', 'crop_resize', 'colour_jitter'
        ],
        transforms=[[__crop]] + [[__crop, *p] for p in __pool]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
