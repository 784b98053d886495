# The initialisation stage of FT, AB and FSP on the digits (5 epochs,
# constant LR).
_base_ = ['./digits_bs64_30e.py']
param_scheduler = dict(
    _delete_=True, type='ConstantLR', factor=1.0, by_epoch=True)
train_cfg = dict(max_epochs=5)
