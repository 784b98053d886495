# WCoRD with the contrastive data on cifar100; the bank has a row per training image;
# 'exact': a batch without contrast indices is an error, not uniform negatives.
_base_ = ['./_base_wcord.py', '../_base_/settings/cifar100_bs64_240e_contrast.py']
model = dict(distiller=dict(distill_losses=dict(loss_wcord=dict(
    num_data=_base_.num_train, num_negatives=_base_.num_negatives,
    sample_mode='exact'))))
