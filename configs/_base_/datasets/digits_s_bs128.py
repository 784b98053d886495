# DigitsS, the digits analogue of CIFAR-10S, with CIFAR-10S's recipe: the
# bundled digits grey (group 0) or tinted with a random hue (group 1), skew
# 0.8 (digits 0-4 mostly grey, 5-9 mostly colour), seeded by dataset.seed;
# the test set holds the 359 test digits in both versions (718). Random crop
# with 4-pixel padding (no flip: digits are not mirror-symmetric), pixels /
# 255. Batch 128.
# Files: python tools/dataset_converters/make_digits.py data/digits
_base_ = ['./cifar10s_bs128.py']
dataset_type = 'DigitsS'
data_root = 'data/digits'
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='PackInputs', algorithm_keys=('group', )),
]
train_dataloader = dict(
    num_workers=0,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=240,
    num_workers=0,
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
