# WCoRD with the contrastive data on the digits: the bank has a row per
# training image (1,438), the negatives are the data's; 'exact': a batch
# without contrast indices is an error, not uniform negatives.
_base_ = ['./_base_wcord.py', '../_base_/settings/digits_bs64_30e_contrast.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_wcord=dict(
                num_data=1438,
                num_negatives=_base_.train_dataloader.dataset.num_negatives,
                sample_mode='exact'))))
