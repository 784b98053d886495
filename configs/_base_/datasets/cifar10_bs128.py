# CIFAR-10 with the CIFAR-100 pipeline (random crop 32 with 4 pixels of
# zero padding, horizontal flip; test: normalisation only) on CIFAR-10's
# files and statistics, batch 128. QuEST's CIFAR-10 recipe pads by
# reflection, as its CIFAR-100 one.
# Files: data/cifar10/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}
_base_ = ['./cifar100_bs64.py']
dataset_type = 'LocalCIFAR10'
# One top-level data_root, read by every loader: tools/train.py and
# tools/test.py move them all with --cfg-options data_root=PATH.
data_root = 'data/cifar10'
data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255])
__data = dict(type=dataset_type, data_root=data_root)
train_dataloader = dict(batch_size=128, dataset=__data)
val_dataloader = dict(dataset=__data)
test_dataloader = val_dataloader
