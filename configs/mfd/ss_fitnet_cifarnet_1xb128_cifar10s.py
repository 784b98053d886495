# SS+FitNet: the two-stage FitNet on (group, label) balanced batches.
_base_ = ['./fitnet_cifarnet_1xb128_cifar10s.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
# T: Table 1
model = dict(distiller=dict(distill_losses=dict(loss_kd=dict(tau=3))))
