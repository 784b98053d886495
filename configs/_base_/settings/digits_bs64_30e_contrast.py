# The digits for the contrastive methods (CRD, WCoRD), as
# cifar100_bs64_240e_contrast.py: every training sample brings its index and
# 1024 indices of samples of other classes (of the 1,438 training digits,
# more than 1,200 lie outside any class, so they are distinct).
_base_ = ['./digits_bs64_30e.py']
train_pipeline = [*_base_.train_pipeline[:-1], dict(type='PackCRDInputs')]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        _scope_='mmpretrain',
        type='CRDDatasetWrapper',
        num_negatives=1024,
        sample_mode='exact',
        dataset=dict(
            type=_base_.dataset_type,
            data_root=_base_.data_root,
            split='train',
            pipeline=train_pipeline)))
