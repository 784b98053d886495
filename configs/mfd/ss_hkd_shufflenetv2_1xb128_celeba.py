# SS+HKD: HKD on (group, label) balanced batches.
_base_ = ['./hkd_shufflenetv2_1xb128_celeba.py']
train_dataloader = dict(batch_sampler=dict(type='GroupBalancedBatchSampler'))
# T: Table 1
model = dict(distiller=dict(distill_losses=dict(loss_kd=dict(tau=3))))
