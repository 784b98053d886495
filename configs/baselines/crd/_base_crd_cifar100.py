# CRD on cifar100: the train set wrapped so that each sample brings its own
# index and 16384 indices of samples of other classes ('exact' mode).
_base_ = ['./_base_crd.py', '../../_base_/settings/cifar100_bs64_240e.py']
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
model = dict(
    distiller=dict(
        distill_losses=dict(loss_crd=dict(num_data=50000, num_negatives=16384))))
