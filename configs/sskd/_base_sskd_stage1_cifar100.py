# SSKD stage 1 on CIFAR-100: the authors' schedule (60 epochs, LR 0.05 x0.1
# at 30 and 45), the views of stage 2; validation reports the frozen
# teacher's own accuracy (it must not change).
_base_ = ['./_base_sskd_stage1.py', './_base_sskd_views_cifar100.py']
param_scheduler = dict(milestones=[30, 45])
train_cfg = dict(max_epochs=60)
val_cfg = dict(_delete_=True)
