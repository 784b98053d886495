# MFD's recipe (adam_plateau_50e.py) for a model with adversaries (AD, as the
# MFD code's adv_debiasing): one backward of the joint loss steps the model's
# Adam (the recipe's, 1e-3) and one Adam per class adversary (3e-4, no weight
# decay), written as ONE Adam with a parameter group per class adversary
# (Adam's state is per parameter and each group has its own settings, so the
# steps are the same); the model's plateau on the test CE (fairness/loss),
# and one plateau per class adversary on its own test loss
# (fairness/adv_loss_c{y}), with the model's rule, factor and patience
# (torch's defaults, the code's).
_base_ = ['./adam_plateau_50e.py']
optim_wrapper = dict(
    constructor='ModuleGroupsOptimWrapperConstructor',
    paramwise_cfg=dict(
        module_groups=dict(
            adversaries=dict(group_by_child=True, lr=3e-4, weight_decay=0))))
param_scheduler = dict(
    type='PerGroupReduceOnPlateauLR',
    child_monitor='fairness/adv_loss_c{child}')
