# The 30-epoch initialisation stage of FT, AB and FSP on CIFAR-100 (constant
# LR); the main stage then uses cifar100_bs64_240e.py.
_base_ = ['./cifar100_bs64_240e.py']
param_scheduler = dict(
    _delete_=True, type='ConstantLR', factor=1.0, by_epoch=True)
train_cfg = dict(max_epochs=30)
