# ImageNet, 100 epochs (the QuEST and CRD ImageNet recipes): SGD momentum
# 0.9, weight decay 1e-4, LR 0.1 for a total batch of 256 (8 GPUs x 32),
# x0.1 at epochs 30/60/90. On fewer GPUs, --auto-scale-lr scales the LR.
_base_ = ['./cifar100_bs64_240e.py']
optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=1e-4))
param_scheduler = dict(milestones=[30, 60, 90])
train_cfg = dict(max_epochs=100)
auto_scale_lr = dict(base_batch_size=256)
