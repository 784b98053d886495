# SS: scratch training with (group, label) balanced batches.
_base_ = ['./scratch_resnet18_1xb128_utkface.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
