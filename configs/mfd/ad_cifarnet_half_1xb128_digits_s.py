# AD on DigitsS, as ad_cifarnet_1xb128_cifar10s.py on the half-width CNN
# (20 epochs): reversal strength 2.0, the MFD code's default.
_base_ = [
    '../_base_/models/cifarnet_half.py',
    '../_base_/datasets/digits_s_bs128.py',
    '../_base_/schedules/adam_plateau_50e_ad.py',
    '../_base_/default_runtime.py'
]
model = dict(
    head=dict(
        type='AdversarialClsHead', num_groups=2, hidden=32, reverse_scale=2.0))
train_cfg = dict(max_epochs=20)
