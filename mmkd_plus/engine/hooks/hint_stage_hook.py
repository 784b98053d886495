# Copyright (c) OpenMMLab. All rights reserved.
"""FitNet's hint stage: the first epochs train on the hint loss alone."""
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import ReduceOnPlateauParamScheduler

from mmkd_plus.registry import HOOKS

__all__ = ['HintStageHook']


def _schedulers(runner) -> list:
    """The runner's parameter schedulers as one flat list."""
    schedulers = getattr(runner, 'param_schedulers', None) or []
    if isinstance(schedulers, dict):
        return [s for group in schedulers.values() for s in group]
    return list(schedulers)


@HOOKS.register_module()
class HintStageHook(Hook):
    """Train the student on the hint losses alone for the first epochs.

    FitNets (Romero et al., ICLR 2015, https://arxiv.org/abs/1412.6550)
    train in two stages: first the student's intermediate feature is
    regressed onto the teacher's (the *hint*), then the student is trained
    with its task loss and knowledge distillation. The MFD code
    ("Fair Feature Distillation for Visual Recognition", Jung et al., CVPR
    2021, https://arxiv.org/abs/2106.04411) runs E/2 hint epochs with
    ½·MSE of the penultimate features, no CE, no evaluation and no LR
    schedule step, then E epochs of CE + annealed KD without the hint loss,
    with one optimiser throughout.

    In the first ``hint_epochs`` epochs this hook makes the distiller
    compute only ``hint_losses`` and drops the student's own loss
    (``calculate_student_loss``); from epoch ``hint_epochs`` on, every
    other distillation loss and the student's loss are back and the hint
    losses are no longer computed. Loss weights are left alone, so a
    :class:`LinearLossWeightHook` with ``begin=hint_epochs`` anneals KD
    over the second stage. The stage follows from the epoch, so a resumed
    run continues in its stage.

    Validation in the hint stage would score a head that has not been
    trained and feed a plateau schedule with it: with a
    ``ReduceOnPlateau`` scheduler, ``train_cfg.val_begin`` must come after
    the hint stage (``hint_epochs + 1``), else training stops at once.

    Args:
        hint_epochs (int): Epochs of the hint stage (the MFD code: half
            the epochs of the second stage).
        hint_losses (Sequence[str]): Keys of the distiller's
            ``distill_losses`` trained in the hint stage. Defaults to
            ``('loss_hint', )``.

    Example:
        >>> # 25 hint epochs, then 50 of CE + KD (annealed 4 -> 1)
        >>> train_cfg = dict(max_epochs=75, val_begin=26)
        >>> custom_hooks = [
        ...     dict(type='mmrazor.LinearLossWeightHook',
        ...          loss_name='loss_kd', start=4.0, end=1.0, begin=25),
        ...     dict(type='mmrazor.HintStageHook', hint_epochs=25)]
    """
    priority = 'NORMAL'

    def __init__(self,
                 hint_epochs: int,
                 hint_losses: Sequence[str] = ('loss_hint', )) -> None:
        if hint_epochs < 1:
            raise ValueError(f'HintStageHook: hint_epochs={hint_epochs} '
                             'must be >= 1; fix custom_hooks.')
        if isinstance(hint_losses, str):
            hint_losses = (hint_losses, )
        self.hint_epochs = hint_epochs
        self.hint_losses = tuple(hint_losses)
        self._mappings = None
        self._student_loss = True

    @staticmethod
    def _algorithm(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        """Check the configuration and keep the distiller's mappings."""
        algorithm = self._algorithm(runner)
        distiller = getattr(algorithm, 'distiller', None)
        mappings = getattr(distiller, 'loss_forward_mappings', None)
        if mappings is None:
            raise TypeError(
                'HintStageHook needs a distillation model with '
                'model.distiller.loss_forward_mappings (a '
                'ConfigurableDistiller), got '
                f'{type(algorithm).__name__}; remove it from custom_hooks.')
        missing = [n for n in self.hint_losses if n not in mappings]
        if missing:
            raise ValueError(
                f'HintStageHook: hint_losses {missing} are not losses of '
                f'model.distiller.loss_forward_mappings ({sorted(mappings)}); '
                'fix custom_hooks.')
        if self.hint_epochs >= runner.max_epochs:
            raise ValueError(
                f'HintStageHook: hint_epochs={self.hint_epochs} leaves no '
                f'epoch after the hint stage in train_cfg.max_epochs='
                f'{runner.max_epochs}; set max_epochs to hint_epochs plus '
                'the epochs of the second stage.')
        val_begin = getattr(runner.train_loop, 'val_begin', None)
        plateau = any(
            isinstance(s, ReduceOnPlateauParamScheduler)
            for s in _schedulers(runner))
        if plateau and val_begin is not None and val_begin <= \
                self.hint_epochs:
            raise ValueError(
                f'HintStageHook: train_cfg.val_begin={val_begin} validates '
                'during the hint stage, whose untrained head would step the '
                'ReduceOnPlateau schedule; set train_cfg.val_begin='
                f'{self.hint_epochs + 1}.')
        self._mappings = dict(mappings)
        self._student_loss = algorithm.calculate_student_loss

    def in_hint_stage(self, epoch: int) -> bool:
        """Whether 0-based ``epoch`` belongs to the hint stage."""
        return epoch < self.hint_epochs

    def before_train_epoch(self, runner) -> None:
        """Select the losses of the epoch's stage."""
        algorithm = self._algorithm(runner)
        hint = self.in_hint_stage(runner.epoch)
        algorithm.distiller.loss_forward_mappings = {
            name: mapping
            for name, mapping in self._mappings.items()
            if (name in self.hint_losses) == hint
        }
        algorithm.calculate_student_loss = self._student_loss and not hint

    def after_train(self, runner) -> None:
        """Give the distiller back all of its losses."""
        if self._mappings is not None:
            algorithm = self._algorithm(runner)
            algorithm.distiller.loss_forward_mappings = dict(self._mappings)
            algorithm.calculate_student_loss = self._student_loss
