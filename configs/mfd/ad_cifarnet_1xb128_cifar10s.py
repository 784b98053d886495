# AD (adversarial debiasing, Zhang et al. 2018, as the MFD code's
# adv_debiasing): the scratch CIFARNet with one group adversary per class on
# the logits (hidden width 32) behind a gradient reversal of strength lambda,
# trained with AD's own optimizer and plateaus.
_base_ = [
    '../_base_/models/cifarnet.py', '../_base_/datasets/cifar10s_bs128.py',
    '../_base_/schedules/adam_plateau_50e_ad.py',
    '../_base_/default_runtime.py'
]
model = dict(
    head=dict(
        type='AdversarialClsHead',
        num_groups=2,
        hidden=32,
        reverse_scale=0.001))  # lambda: Table 1
