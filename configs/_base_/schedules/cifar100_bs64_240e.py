# The CIFAR-100 recipe of the CRD benchmark (RepDistiller), used by the
# QuEST, SSKD and WCoRD tables: 240 epochs, batch 64, SGD momentum 0.9,
# weight decay 5e-4, LR 0.05 x0.1 at epochs 150/180/210. MobileNetV2 and
# the ShuffleNets use LR 0.01 (override optim_wrapper.optimizer.lr).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# the recipe's LR is for one GPU with batch 64; --auto-scale-lr scales it
auto_scale_lr = dict(base_batch_size=64)
