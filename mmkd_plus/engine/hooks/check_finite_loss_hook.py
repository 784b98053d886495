# Copyright (c) OpenMMLab. All rights reserved.
"""Stop any training whose loss stops being finite."""
from typing import Optional, Union

from mmengine.hooks import Hook

from mmkd_plus.checks import check_finite_losses
from mmkd_plus.registry import HOOKS

__all__ = ['CheckFiniteLossHook']


@HOOKS.register_module()
class CheckFiniteLossHook(Hook):
    """Raise one clear error when a training loss is NaN or infinite.

    MMEngine trains on when a plain classifier's loss becomes NaN: the run
    ends with exit status 0, ``loss: nan``, top-1 0 and a saved checkpoint.
    This hook reads the losses the model returned for each iteration and
    stops with the message
    :class:`~mmkd_plus.models.algorithms.CheckedSingleTeacherDistill` gives
    (the iteration, the loss names, the learning rate key). It runs before
    the logger and checkpoint hooks, so nothing of the diverged run is
    saved. Every config of ours has it, as ``default_hooks.check_finite``.

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
