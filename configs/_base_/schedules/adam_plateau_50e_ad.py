# MFD's recipe (adam_plateau_50e.py) for a model with adversaries (AD, as the
# MFD code's adv_debiasing): one backward of the joint loss steps two Adams,
# the model's (the recipe's, 1e-3) and the adversaries' (3e-4, no weight
# decay; one parameter group per class adversary, which for Adam equals one
# Adam per adversary); the model's plateau on the test CE (fairness/loss),
# and one plateau per class adversary on its own test loss
# (fairness/adv_loss_c{y}), with the model's rule, factor and patience
# (torch's defaults, the code's).
_base_ = ['./adam_plateau_50e.py']
optim_wrapper = dict(
    _delete_=True,
    constructor='ModuleSplitOptimWrapperConstructor',
    model=dict(optimizer=_base_.optim_wrapper.optimizer),
    adversaries=dict(
        modules=['adversaries'],
        group_by_child=True,
        optimizer=dict(type='Adam', lr=3e-4, weight_decay=0)))
param_scheduler = dict(
    _delete_=True,
    model=_base_.param_scheduler,
    adversaries=dict(
        _base_.param_scheduler,
        type='PerGroupReduceOnPlateauLR',
        monitor='fairness/adv_loss_c{child}'))
