# AD recipe of the MFD tables (adversarial debiasing, Zhang et al. 2018, as
# the MFD code's adv_debiasing): fragments a leaf merges into a classifier.
# `ad_head`: one group adversary per class on the logits, behind a gradient
# reversal of strength `reverse_scale` (2.0, the code's default; leaves of the
# paper's datasets set the supplement's lambda: 0.001 CIFAR-10S, 0.01
# UTKFace, 10 CelebA).
# `ad_optim`: as in the code, one backward of the joint loss steps two Adams:
# the model's (MFD's recipe, 1e-3) and the adversaries' (3e-4, no weight
# decay; one parameter group per class adversary, which for Adam equals one
# Adam per adversary).
# `ad_param_scheduler`: the model's plateau on the test CE (fairness/loss),
# and one plateau per class adversary on its own test loss
# (fairness/adv_loss_c{y}), torch's defaults (x0.1 after 10 bad epochs).
# A leaf: optim_wrapper = _base_.ad_optim
#         param_scheduler = _base_.ad_param_scheduler
from mmengine import Config as __Config

__recipe = __Config.fromfile(
    '{{ fileDirname }}/../_base_/schedules/adam_plateau_50e.py')
ad_head = dict(
    type='AdversarialClsHead', num_groups=2, hidden=32, reverse_scale=2.0)
ad_optim = dict(
    _delete_=True,
    constructor='ModuleSplitOptimWrapperConstructor',
    model=dict(optimizer=__recipe.optim_wrapper.optimizer),
    adversaries=dict(
        modules=['adversaries'],
        group_by_child=True,
        optimizer=dict(type='Adam', lr=3e-4, weight_decay=0)))
ad_param_scheduler = dict(
    _delete_=True,
    model=__recipe.param_scheduler,
    # the model's rule, factor and patience (torch's defaults, the code's)
    adversaries=dict(
        __recipe.param_scheduler,
        type='PerGroupReduceOnPlateauLR',
        monitor='fairness/adv_loss_c{child}'))
