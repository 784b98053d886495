# Copyright (c) OpenMMLab. All rights reserved.
"""Stop any training whose loss stops being finite."""
from typing import Any, List, Mapping, Optional, Tuple, Union

import torch
from mmengine.hooks import Hook

from mmkd_plus.registry import HOOKS

__all__ = [
    'CheckFiniteLossHook', 'check_finite_losses', 'non_finite_loss_message'
]


def non_finite_loss_message(bad: List[str],
                            iteration: Optional[int] = None,
                            lr: Optional[float] = None) -> str:
    """The one message for a NaN/Inf loss, in a distiller or plain run."""
    at = f' at iteration {iteration}' if iteration is not None else ''
    lr_now = f'={lr:g}' if lr is not None else ''
    return (f'Non-finite loss{at}: {bad}. Lower the learning rate '
            f'(optim_wrapper.optimizer.lr{lr_now}) or the loss weights, or '
            'check the inputs (a NaN in the data) and, for a distillation, '
            'the teacher. Training stopped; no checkpoint of this iteration '
            'was saved.')


def _current_lr() -> Optional[float]:
    from mmengine.logging import MessageHub
    hub = MessageHub.get_current_instance()
    scalar = hub.log_scalars.get('train/lr')
    if scalar is None:
        return None
    return float(scalar.current())


def check_finite_losses(losses: Mapping[str, Any]) -> None:
    """Raise ``FloatingPointError`` if a loss in ``losses`` is not finite.

    Only entries whose name contains ``loss`` (what MMEngine sums) count.
    """
    items: List[Tuple[str, torch.Tensor]] = [
        (k, v) for k, v in losses.items()
        if 'loss' in k and isinstance(v, torch.Tensor)
    ]
    if not items:
        return
    sums = torch.stack([v.detach().float().sum() for _, v in items])
    finite = torch.isfinite(sums)
    if bool(finite.all()):
        return
    from mmengine.logging import MessageHub
    bad = [k for (k, _), ok in zip(items, finite.tolist()) if not ok]
    it = MessageHub.get_current_instance().get_info('iter')
    raise FloatingPointError(non_finite_loss_message(bad, it, _current_lr()))


@HOOKS.register_module()
class CheckFiniteLossHook(Hook):
    """Raise one clear error when a training loss is NaN or infinite.

    MMEngine trains on when a plain classifier's loss becomes NaN: the run
    ends with exit status 0, ``loss: nan``, top-1 0 and a saved checkpoint.
    This hook reads the losses the model returned for each iteration and
    stops with one message: the iteration, the names of the losses that
    are not finite (a distillation's ``student.loss`` and ``distill.*``
    apart), the learning rate key. It runs before the logger and checkpoint
    hooks, so nothing of the diverged run is saved. Every config of ours
    has it, as ``default_hooks.check_finite``; with MMRazor's own configs
    add it as ``default_hooks.check_finite=dict(type=
    'mmrazor.CheckFiniteLossHook')``.

    Args:
        interval (int): Check every ``interval`` iterations. Defaults to 1
            (the check reads values the step already computed).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1) -> None:
        if interval < 1:
            raise ValueError('default_hooks.check_finite.interval must be '
                             f'>= 1, got {interval}')
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Union[dict, tuple, list, None] = None,
                         outputs: Optional[dict] = None) -> None:
        """Check the losses of this iteration."""
        if outputs and self.every_n_train_iters(runner, self.interval):
            check_finite_losses(outputs)
