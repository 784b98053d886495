# QuEST on ImageNet: 100 epochs at batch 256, Nesterov momentum; the
# vocabulary clusters the teacher's vectors of a random 200k-image subset.
_base_ = ['./_base_quest.py', '../_base_/settings/imagenet_bs32_100e.py']
optim_wrapper = dict(optimizer=dict(nesterov=True))
custom_hooks = [
    dict(
        _base_.custom_hooks[0], num_images=200000, max_points_per_centroid=256)
]
