# SS: scratch training with (group, label) balanced batches.
_base_ = ['./scratch_cifarnet_half_1xb128_digits_s.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
