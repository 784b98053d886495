# ImageNet-1k from mmpretrain (batch 32 per GPU, random-resized crop 224 and
# flip; test: resize 256, centre crop 224), reading local files only:
# data/imagenet/{train,val}/ and data/imagenet/meta/{train,val}.txt
# (mmpretrain's layout; a missing file stops with where it belongs).
# One top-level data_root, read by every loader: tools/train.py and
# tools/test.py move them all with --cfg-options data_root=PATH.
_base_ = ['mmpretrain::_base_/datasets/imagenet_bs32.py']
data_root = 'data/imagenet'
data_preprocessor = dict(type='mmpretrain.ClsDataPreprocessor')
train_dataloader = dict(
    dataset=dict(
        _scope_='mmpretrain', type='LocalImageNet', data_root=data_root))
val_dataloader = dict(
    dataset=dict(
        _scope_='mmpretrain', type='LocalImageNet', data_root=data_root))
test_dataloader = val_dataloader
