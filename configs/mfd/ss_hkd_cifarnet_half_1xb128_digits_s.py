# SS+HKD on DigitsS: HKD on (group, label) balanced batches, T = 3 (the
# recipe's default).
_base_ = ['./hkd_cifarnet_half_1xb128_digits_s.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
