# SSKD stage 1 on ImageNet-1k. The papers give no stage-1 schedule for
# ImageNet; ours scales the CIFAR one (60 epochs, x0.1 at 1/2 and 3/4) down
# to 10 epochs: LR 0.1 (8 x 32 images), x0.1 at epochs 5 and 8.
_base_ = ['./_base_sskd_stage1.py', './_base_sskd_views_in1k.py']
param_scheduler = dict(milestones=[5, 8])
train_cfg = dict(max_epochs=10)
val_cfg = dict(_delete_=True)
