# SS: scratch training with (group, label) balanced batches.
_base_ = ['./scratch_cifarnet_1xb128_cifar10s.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
