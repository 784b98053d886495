# cifar10s_bs128_50e.py with every batch balanced over the (group, label)
# cells (the MFD code's --labelwise: MFD and SS train with it, the teacher
# does not).
_base_ = ['./cifar10s_bs128_50e.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
