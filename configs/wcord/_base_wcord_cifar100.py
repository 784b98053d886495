# WCoRD with the contrastive data on CIFAR-100: the bank has a row per
# training image (50,000), the negatives are the data's; 'exact': a batch
# without contrast indices is an error, not uniform negatives.
_base_ = [
    './_base_wcord.py', '../_base_/settings/cifar100_bs64_240e_contrast.py'
]
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_wcord=dict(
                num_data=50000,
                num_negatives=_base_.train_dataloader.dataset.num_negatives,
                sample_mode='exact'))))
