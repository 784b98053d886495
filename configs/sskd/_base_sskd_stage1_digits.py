# SSKD stage 1 on the digits: 10 epochs (LR 0.05, cosine), the views of
# stage 2; validation reports the frozen teacher's own accuracy.
_base_ = ['./_base_sskd_stage1.py', './_base_sskd_views_digits.py']
param_scheduler = dict(T_max=10)
train_cfg = dict(max_epochs=10)
val_cfg = dict(_delete_=True)
