# MFD's recipe: Adam, LR 1e-3, no weight decay, 50 epochs, LR x0.1 when the
# test loss has not improved for 10 epochs. The MFD code steps the plateau
# schedule on the test set's loss (the FairnessMetric's `loss`, evaluated
# every epoch); that is test-set leakage, kept for reproduction.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0))
param_scheduler = dict(
    type='ReduceOnPlateauLR',
    monitor='fairness/loss',
    rule='less',
    factor=0.1,
    patience=10,
    by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
