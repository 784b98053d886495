# the digits for the contrastive methods (CRD, WCoRD): every training sample brings
# its index and 1024 indices of samples of other classes ('exact' mode),
# for a memory bank of num_train rows.
_base_ = ['./digits_bs64_30e.py']
num_train = 1438
num_negatives = 1024
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
