# SS+FitNet on DigitsS: the two-stage FitNet (10 hint + 20 epochs) on
# (group, label) balanced batches.
_base_ = ['./fitnet_cifarnet_half_1xb128_digits_s.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
