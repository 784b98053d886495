# SSKD stage 1 on CIFAR-100 with the paper's transformation pool (the
# authors' stage-1 schedule, as _base_sskd_stage1_cifar100.py).
_base_ = ['./_base_sskd_stage1.py', './_base_sskd_pool_views_cifar100.py']
param_scheduler = dict(milestones=[30, 45])
train_cfg = dict(max_epochs=60)
val_cfg = dict(_delete_=True)
