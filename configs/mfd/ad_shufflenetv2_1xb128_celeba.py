# AD on CelebA, as ad_cifarnet_1xb128_cifar10s.py on ShuffleNetV2.
_base_ = [
    '../_base_/models/shufflenetv2_celeba.py',
    '../_base_/datasets/celeba_bs128.py',
    '../_base_/schedules/adam_plateau_50e_ad.py',
    '../_base_/default_runtime.py'
]
model = dict(
    head=dict(
        type='AdversarialClsHead', num_groups=2, hidden=32,
        reverse_scale=10.0))  # lambda: Table 1
