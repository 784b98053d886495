# Copyright (c) OpenMMLab. All rights reserved.
"""A distillation loss weight that changes linearly over the epochs."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd_plus.registry import HOOKS

__all__ = ['LinearLossWeightHook']


@HOOKS.register_module()
class LinearLossWeightHook(Hook):
    """Set a distillation loss's ``loss_weight`` linearly per epoch.

    Before epoch e (0-based) of E, the weight of
    ``model.distiller.distill_losses[loss_name]`` becomes
    ``start + (end - start) * (e - begin) / (E - 1 - begin)``: ``start`` in
    epoch ``begin`` (and before it), ``end`` in the last. The MFD code
    anneals Hinton KD this way (λ_h from 4 down to 1, "Fair Feature
    Distillation for Visual Recognition", Jung et al., CVPR 2021,
    https://arxiv.org/abs/2106.04411); after FitNet's hint stage the
    annealing starts with the KD stage (``begin`` = the hint epochs). The
    weight is set from the epoch alone, so a resumed run continues the
    schedule.

    Args:
        loss_name (str): A key of the distiller's ``distill_losses``.
        start (float): The weight of epoch ``begin``.
        end (float): The weight of the last epoch.
        begin (int): The 0-based epoch the annealing starts from.
            Defaults to 0.
    """
    priority = 'NORMAL'

    def __init__(self,
                 loss_name: str,
                 start: float,
                 end: float,
                 begin: int = 0) -> None:
        if begin < 0:
            raise ValueError(f'LinearLossWeightHook: begin={begin} must be '
                             '>= 0; fix custom_hooks.')
        self.loss_name = loss_name
        self.start = start
        self.end = end
        self.begin = begin

    def weight(self, epoch: int, max_epochs: int) -> float:
        """The weight of 0-based ``epoch`` of ``max_epochs``."""
        span = max_epochs - 1 - self.begin
        frac = max(epoch - self.begin, 0) / span if span > 0 else 0.0
        return self.start + (self.end - self.start) * frac

    def before_train(self, runner) -> None:
        if self.begin >= runner.max_epochs:
            raise ValueError(
                f'LinearLossWeightHook: begin={self.begin} leaves no epoch '
                f'to anneal in train_cfg.max_epochs={runner.max_epochs}; '
                'fix custom_hooks or train_cfg.max_epochs.')

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        losses = getattr(getattr(model, 'distiller', None), 'distill_losses',
                         {})
        if self.loss_name not in losses:
            raise ValueError(
                f'LinearLossWeightHook: loss_name={self.loss_name!r} is not '
                'a loss of model.distiller.distill_losses '
                f'({sorted(losses)}); fix custom_hooks.')
        losses[self.loss_name].loss_weight = self.weight(
            runner.epoch, runner.max_epochs)
