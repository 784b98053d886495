# CelebA (MFD's setting) with UTKFace's loaders: class = Attractive, group =
# Male (dataset keys target_attr / sensitive_attr), the official partition,
# the test set balanced down to its smallest (group, class) cell. As the
# MFD code: train: random resized crop 176, horizontal flip; test: resize
# to 176 x 176 (UTKFace's test pipeline: a squash of the 178 x 218 images,
# not a short-edge resize); ImageNet normalisation. Batch 128.
# Files: data/celeba/{img_align_celeba/,list_attr_celeba.txt,
#                     list_eval_partition.txt}
_base_ = ['./utkface_bs128.py']
dataset_type = 'CelebA'
data_root = 'data/celeba'
data_preprocessor = dict(num_classes=2)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=176),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=('group', )),
]
__attrs = dict(target_attr='Attractive', sensitive_attr='Male')
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=train_pipeline,
        **__attrs))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, **__attrs))
test_dataloader = val_dataloader
