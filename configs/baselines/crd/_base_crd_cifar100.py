# CRD with its contrastive data on CIFAR-100: the bank has a row per
# training image (50,000); the negatives are the data's.
_base_ = [
    './_base_crd.py', '../../_base_/settings/cifar100_bs64_240e_contrast.py'
]
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_crd=dict(
                num_data=50000,
                num_negatives=_base_.train_dataloader.dataset.num_negatives))))
