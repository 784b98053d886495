# AD recipe of the MFD tables (adversarial debiasing, Zhang et al. 2018, as
# the MFD code's adv_debiasing): fragments a leaf merges into a classifier.
# `ad_head`: one group adversary per class on the logits, behind a gradient
# reversal of strength `reverse_scale` (2.0, the code's default; leaves of the
# paper's datasets set the supplement's lambda: 0.001 CIFAR-10S, 0.01
# UTKFace, 10 CelebA); `ad_optim`: the adversaries at 0.3x the model's Adam
# LR (3e-4 beside 1e-3, the code's adversary LR).
ad_head = dict(
    type='AdversarialClsHead', num_groups=2, hidden=32, reverse_scale=2.0)
ad_optim = dict(
    paramwise_cfg=dict(custom_keys={'adversaries': dict(lr_mult=0.3)}))
