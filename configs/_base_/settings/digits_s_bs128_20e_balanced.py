# digits_s_bs128_20e.py with every batch balanced over the (group, label)
# cells (the MFD code's --labelwise: MFD and SS train with it, the teacher
# does not).
_base_ = ['./digits_s_bs128_20e.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
