# WCoRD+KD on the digits, bound to its data as _base_wcord_digits.py.
_base_ = [
    './_base_wcord+kd.py', '../_base_/settings/digits_bs64_30e_contrast.py'
]
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_wcord=dict(
                num_data=1438,
                num_negatives=_base_.train_dataloader.dataset.num_negatives,
                sample_mode='exact'))))
