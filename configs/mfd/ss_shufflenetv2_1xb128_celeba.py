# SS: scratch training with (group, label) balanced batches.
_base_ = ['./scratch_shufflenetv2_1xb128_celeba.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
