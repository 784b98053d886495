# The CIFAR-10 recipe of SP (Tung and Mori, ICCV 2019), which the QuEST
# supplement (C.1) follows for CIFAR-10: 200 epochs, batch 128, LR 0.1
# x0.2 at epochs 60/120/160; SGD momentum 0.9, weight decay 5e-4 (SP's
# values; the QuEST supplement does not restate them).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[60, 120, 160], gamma=0.2)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# the recipe's LR is for one GPU with batch 128; --auto-scale-lr scales it
auto_scale_lr = dict(base_batch_size=128)
