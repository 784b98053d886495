# CIFAR-100 for the contrastive methods (CRD, WCoRD): every training sample
# brings its index and 16384 indices of samples of other classes ('exact'
# mode). The number of negatives is stated once, here
# (train_dataloader.dataset.num_negatives): the recipes' losses read it, and
# a loss whose own value differs stops at the first step naming both keys.
_base_ = ['./cifar100_bs64_240e.py']
train_pipeline = [*_base_.train_pipeline[:-1], dict(type='PackCRDInputs')]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        _scope_='mmpretrain',
        type='CRDDatasetWrapper',
        num_negatives=16384,
        sample_mode='exact',
        dataset=dict(
            type=_base_.dataset_type,
            data_root=_base_.data_root,
            split='train',
            pipeline=train_pipeline)))
