# WCoRD+KD on CIFAR-100, bound to its data as _base_wcord_cifar100.py.
_base_ = [
    './_base_wcord+kd.py', '../_base_/settings/cifar100_bs64_240e_contrast.py'
]
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_wcord=dict(
                num_data=50000,
                num_negatives=_base_.train_dataloader.dataset.num_negatives,
                sample_mode='exact'))))
