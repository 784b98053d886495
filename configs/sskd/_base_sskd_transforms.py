# The self-supervised views' building blocks, mmpretrain's and mmcv's own
# transforms (the data recipes add their crop to every view):
# - the authors' views: the normal image and its rotations by 90, 180 and
#   270 degrees (mmpretrain's Rotate: exact on square images);
# - the paper's transformation pool (supplement Sec. 2.2): colour dropping
#   (L = 0.299 R + 0.587 G + 0.114 B, RGB images), a rotation by 90, 180 or
#   270 degrees, a random resized crop (scale 0.08-1, aspect 3/4-4/3, back to
#   32x32) and colour jitter (brightness, contrast, saturation 0.6-1.4, hue
#   +-0.1);
# - jigsaw views: 2x2 tiles permuted (24 classes, the label of each view).
rotations = [
    dict(type='Rotate', angle=a, prob=1.0, random_negative_prob=0.0)
    for a in (90.0, 180.0, 270.0)
]
rotation_views = dict(
    type='LabelledMultiView',
    num_views=[1, 1, 1, 1],
    view_labels=[0, 1, 2, 3],
    view_names=['normal', 'rot90', 'rot180', 'rot270'])
pool = [
    [dict(type='RandomGrayscale', prob=1.0, keep_channels=True,
          channel_weights=(0.299, 0.587, 0.114), color_format='rgb')],
    [dict(type='RandomChoice', transforms=[[r] for r in rotations])],
    [dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.08, 1.0),
          aspect_ratio_range=(3. / 4., 4. / 3.))],
    # hue apart: mmcv's adjust_hue fails on numpy >= 2 for negative shifts
    [dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
     dict(type='RandomHue', hue=0.1)],
]
pool_views = dict(
    type='LabelledMultiView',
    num_views=[1, 1, 1, 1, 1],
    view_labels=[0, 1, 2, 3, 4],
    view_names=['normal', 'colour_drop', 'rotation', 'crop_resize',
                'colour_jitter'])
jigsaw = dict(type='JigsawPermute', grid=2)
jigsaw_views = dict(
    type='LabelledMultiView',
    num_views=[1, 3],
    view_labels=[0, 0, 0, 0],  # identity for the normal view; the others
    view_names=['normal', 'jigsaw1', 'jigsaw2', 'jigsaw3'])  # their own
