# The authors' self-supervised views: the normal image and its rotations by
# 90, 180 and 270 degrees (mmpretrain's Rotate: exact on square images). The
# data recipes add their crop to every view.
rotations = [
    dict(type='Rotate', angle=a, prob=1.0, random_negative_prob=0.0)
    for a in (90.0, 180.0, 270.0)
]
rotation_views = dict(
    type='LabelledMultiView',
    num_views=[1, 1, 1, 1],
    view_labels=[0, 1, 2, 3],
    view_names=['normal', 'rot90', 'rot180', 'rot270'])
