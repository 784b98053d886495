# Copyright (c) OpenMMLab. All rights reserved.
"""A plateau schedule per parameter group, each on its own metric."""
from typing import List, Sequence, Union

from mmengine.optim import BaseOptimWrapper, ReduceOnPlateauLR

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
    such schedule per class adversary on that adversary's test loss.

    Args:
        optimizer (Optimizer or OptimWrapper): The optimizer.
        monitor (str or list[str]): The metric of each group: a list with
            one key per parameter group, or one template formatted per group
            with ``{index}`` (the group's position) and ``{child}`` (the
            module name :class:`ModuleSplitOptimWrapperConstructor` records
            with ``group_by_child=True``), e.g.
            ``'fairness/adv_loss_c{child}'``. A template without a field
            steps every group on the same metric.
        **kwargs: The other arguments of ``ReduceOnPlateauLR`` (``rule``,
            ``factor``, ``patience``, ``threshold``, ``threshold_rule``,
            ``cooldown``, ``min_value``, ``eps``, ``begin``, ``end``, ...);
            ``min_value`` may be a list, one per group.

    Raises:
        KeyError: at a validation, when a group's metric is missing (the
            message names the monitor key and the metrics there were).
    """

    def __init__(self, optimizer, monitor: Union[str, Sequence[str]],
                 **kwargs) -> None:
        super().__init__(optimizer, monitor=monitor, **kwargs)
        self.monitors = self._monitor_keys(monitor)

    def _groups(self) -> List[dict]:
        """The optimizer's own parameter groups (an OptimWrapper's base
        settings left out)."""
        if isinstance(self.optimizer, BaseOptimWrapper):
            return self.optimizer.optimizer.param_groups
        return self.optimizer.param_groups

    def _monitor_keys(self, monitor: Union[str, Sequence[str]]) -> List[str]:
        groups = self._groups()
        if not isinstance(monitor, str):
            monitor = list(monitor)
            if len(monitor) != len(groups):
                raise ValueError(
                    f'{type(self).__name__}: param_scheduler.monitor lists '
                    f'{len(monitor)} metrics for {len(groups)} parameter '
                    'groups; give one per group or a template such as '
                    "'fairness/adv_loss_c{child}'.")
            return monitor
        keys = []
        for i, group in enumerate(groups):
            fields = dict(index=i)
            if 'child' in group:
                fields['child'] = group['child']
            try:
                keys.append(monitor.format_map(fields))
            except KeyError as err:
                raise ValueError(
                    f'{type(self).__name__}: param_scheduler.monitor='
                    f'{monitor!r} uses {{{err.args[0]}}}, which parameter '
                    f'group {i} does not have; {{child}} is recorded by '
                    "ModuleSplitOptimWrapperConstructor's group_by_child="
                    'True, {index} is always there.') from None
        return keys

    def _reset(self) -> None:
        """One best value, bad-epoch count and cooldown per group."""
        n = len(self._groups())
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
            missing = [key for key in self.monitors if key not in metrics]
            if missing:
                raise KeyError(
                    f'{type(self).__name__}: the monitor key(s) {missing} '
                    f'(param_scheduler.monitor={self.monitor!r}) are not in '
                    f'the validation metrics {sorted(metrics)}. The '
                    'val_evaluator must report one metric per parameter '
                    'group (FairnessMetric reports adv_loss_c{y} when the '
                    "model's head is an AdversarialClsHead and every class "
                    'has validation samples).')
            self.last_step += 1
            for i, (group,
                    key) in enumerate(zip(self._groups(), self.monitors)):
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
