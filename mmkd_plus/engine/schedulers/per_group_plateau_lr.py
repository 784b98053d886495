# Copyright (c) OpenMMLab. All rights reserved.
"""A plateau schedule per parameter group, each on its own metric."""
import string
from typing import List, Optional

from mmengine.optim import ReduceOnPlateauLR

from mmkd_plus.registry import PARAM_SCHEDULERS

__all__ = ['PerGroupReduceOnPlateauLR']


@PARAM_SCHEDULERS.register_module()
class PerGroupReduceOnPlateauLR(ReduceOnPlateauLR):
    """``ReduceOnPlateauLR`` with one plateau per parameter group, each
    group's learning rate stepped on its own validation metric.

    One optimizer whose parameter groups stand for independent models (with
    Adam, whose state is per parameter, a group per model is the same as an
    optimizer per model) gets what ``torch.optim.lr_scheduler
    .ReduceLROnPlateau`` per optimizer gives: group i keeps its own best
    value, bad-epoch count and cooldown, and its learning rate is
    multiplied by ``factor`` only when ITS metric has not improved for more
    than ``patience`` validations. The MFD code
    (https://arxiv.org/abs/2106.04411, adversarial debiasing) steps one
    such schedule for the network on the test loss and one per class
    adversary on that adversary's test loss.

    A group tagged with ``'child'`` (by
    :class:`~mmkd_plus.engine.ModuleGroupsOptimWrapperConstructor`'s
    ``group_by_child=True``) follows ``child_monitor`` formatted with its
    child's name; every other group (and an ``OptimWrapper``'s base
    settings, which it logs as ``base_lr``) follows ``monitor``.

    Args:
        optimizer (Optimizer or OptimWrapper): The optimizer.
        monitor (str): The metric of the untagged groups, as
            ``ReduceOnPlateauLR``'s. Defaults to ``'loss'``.
        child_monitor (str, optional): The metric of each tagged group, a
            template with the field ``{child}``, e.g.
            ``'fairness/adv_loss_c{child}'``. Needed exactly when the
            optimizer has tagged groups.
        **kwargs: The other arguments of ``ReduceOnPlateauLR`` (``rule``,
            ``factor``, ``patience``, ``threshold``, ``threshold_rule``,
            ``cooldown``, ``min_value``, ``eps``, ``begin``, ``end``, ...);
            ``min_value`` may be a list, one per group of the optimizer.

    Raises:
        KeyError: at a validation, when a group's metric is missing (the
            message names the monitor key and the metrics there were).
    """

    def __init__(self,
                 optimizer,
                 monitor: str = 'loss',
                 child_monitor: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(optimizer, monitor=monitor, **kwargs)
        self.child_monitor = child_monitor
        self.monitors = self._monitor_keys()

    def _monitor_keys(self) -> List[str]:
        """The metric of every group of ``optimizer.param_groups``."""
        name = type(self).__name__
        children = [
            group['child'] for group in self.optimizer.param_groups
            if 'child' in group
        ]
        if self.child_monitor is None:
            if children:
                raise ValueError(
                    f'{name}: the parameter groups of the children '
                    f"{children} need param_scheduler.child_monitor, e.g. "
                    "'fairness/adv_loss_c{child}'.")
        elif not children:
            raise ValueError(
                f'{name}: param_scheduler.child_monitor='
                f'{self.child_monitor!r} is set but no parameter group '
                "has a 'child' (ModuleGroupsOptimWrapperConstructor's "
                'group_by_child=True records it); remove child_monitor.')
        else:
            fields = {
                field
                for _, field, _, _ in string.Formatter().parse(
                    self.child_monitor) if field is not None
            }
            if fields != {'child'}:
                raise ValueError(
                    f'{name}: param_scheduler.child_monitor='
                    f'{self.child_monitor!r} must have the one field '
                    "{child}, e.g. 'fairness/adv_loss_c{child}'.")
        return [
            self.child_monitor.format(child=group['child'])
            if 'child' in group else self.monitor
            for group in self.optimizer.param_groups
        ]

    def _reset(self) -> None:
        """One best value, bad-epoch count and cooldown per group."""
        n = len(self.optimizer.param_groups)
        self.best = [self.rule_worse] * n
        self.cooldown_counter = [0] * n
        self.num_bad_epochs = [0] * n

    def step(self, metrics=None) -> None:
        """Step every group on its own metric of ``metrics``.

        Args:
            metrics (dict, optional): The validation metrics; ``None`` only
                counts the step, as in ``ReduceOnPlateauLR``.
        """
        if metrics is None:
            self._global_step += 1
            return
        if not isinstance(metrics, dict):
            raise TypeError(f'metrics should be a dict, got {type(metrics)}')
        if self.begin <= self._global_step < self.end:
            missing = sorted(set(self.monitors) - set(metrics))
            if missing:
                raise KeyError(
                    f'{type(self).__name__}: the monitor key(s) {missing} '
                    f'(param_scheduler.monitor={self.monitor!r}, '
                    f'child_monitor={self.child_monitor!r}) are not in the '
                    f'validation metrics {sorted(metrics)}. The '
                    'val_evaluator must report one metric per parameter '
                    'group (FairnessMetric reports adv_loss_c{y} when the '
                    "model's head is an AdversarialClsHead and every class "
                    'has validation samples).')
            self.last_step += 1
            for i, (group, key) in enumerate(
                    zip(self.optimizer.param_groups, self.monitors)):
                self._step_group(i, group, float(metrics[key]))
        self._last_value = [
            group[self.param_name] for group in self.optimizer.param_groups
        ]

    def _step_group(self, i: int, group: dict, metric: float) -> None:
        """torch's ReduceLROnPlateau step for one group."""
        if self._is_better(metric, self.best[i]):
            self.best[i] = metric
            self.num_bad_epochs[i] = 0
        else:
            self.num_bad_epochs[i] += 1
        if self.cooldown_counter[i] > 0:
            self.cooldown_counter[i] -= 1
            self.num_bad_epochs[i] = 0
        if self.num_bad_epochs[i] > self.patience:
            old = float(group[self.param_name])
            new = max(old * self.factor, self.min_values[i])
            if old - new > self.eps:
                group[self.param_name] = new
                self.print_value(self.verbose, i, new)
            self.cooldown_counter[i] = self.cooldown
            self.num_bad_epochs[i] = 0
