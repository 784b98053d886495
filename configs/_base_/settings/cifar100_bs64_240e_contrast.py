# CIFAR-100 for the contrastive methods (CRD, WCoRD): every training sample brings
# its index and 16384 indices of samples of other classes ('exact' mode),
# for a memory bank of num_train rows.
_base_ = ['./cifar100_bs64_240e.py']
num_train = 50000
num_negatives = 16384
train_pipeline = [*_base_.train_pipeline[:-1], dict(type='PackCRDInputs')]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        _scope_='mmpretrain',
        type='CRDDatasetWrapper',
        num_negatives=num_negatives,
        sample_mode='exact',
        dataset=dict(
            type=_base_.dataset_type,
            data_root=_base_.data_root,
            split='train',
            pipeline=train_pipeline)))
