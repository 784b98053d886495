# Transfer learning on your own data (custom_bs128.py) with the optimizer of
# QuEST's transfer configs: the CRD benchmark's SGD (LR 0.05, momentum 0.9,
# weight decay 5e-4) without Nesterov, 200 epochs, x0.1 at epoch 150,
# validation every 10 epochs. The validation loop reports the student and
# the teacher (an ImageNet teacher's number is meaningless here: its head
# predicts the 1000 ImageNet classes).
_base_ = [
    '../datasets/custom_bs128.py', '../schedules/cifar100_bs64_240e.py',
    '../default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(nesterov=False))
param_scheduler = dict(milestones=[150])
train_cfg = dict(max_epochs=200, val_interval=10)
auto_scale_lr = dict(base_batch_size=128)
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
