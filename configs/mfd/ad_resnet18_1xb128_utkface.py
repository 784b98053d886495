# AD on UTKFace, as ad_cifarnet_1xb128_cifar10s.py on ResNet-18.
_base_ = [
    '../_base_/models/resnet18_utkface.py',
    '../_base_/datasets/utkface_bs128.py',
    '../_base_/schedules/adam_plateau_50e_ad.py',
    '../_base_/default_runtime.py'
]
model = dict(
    head=dict(
        type='AdversarialClsHead',
        num_groups=4,  # the 4 race groups
        hidden=32,
        reverse_scale=0.01))  # lambda: Table 1
