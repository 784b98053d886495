# Copyright (c) OpenMMLab. All rights reserved.
"""Resume a run where its random number generators were."""
import random
from typing import List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmkd_plus.registry import HOOKS

__all__ = ['RNGStateHook']

#: Where the states go in a checkpoint.
CHECKPOINT_KEY = 'rng_state'


def _rng_state() -> dict:
    # NumPy's state as plain values (a checkpoint loads with torch's
    # weights_only unpickler, which knows no uint32 arrays)
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=(name, keys.tolist(), pos, has_gauss, cached),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    python = state['python']
    random.setstate((python[0], tuple(python[1]), python[2]))
    name, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state(
        (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        cuda = state['cuda']
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save every process's random number generators in the checkpoint and
    restore them on ``--resume``, so a resumed run continues the draws of
    the run it resumes.

    MMEngine's checkpoint keeps the seed, not the generators: a run resumed
    after epoch ``e`` re-seeds at start and then draws other numbers than
    the uninterrupted run did in epoch ``e + 1`` (random crops and flips in
    the main process, CRD's negatives, SSKD's jigsaw views, dropout, a
    critic's gradient-penalty draws). This hook keeps Python's, NumPy's and
    torch's generators (and CUDA's) of every rank:

    - at the end of each training epoch (before the checkpoint of that epoch
      is written) it records the states, and the checkpoint carries them,
      one per rank, under ``rng_state``;
    - at the start of the next training epoch it sets the generators back to
      those states, in the uninterrupted run as in a resumed one, so what
      happens between two epochs (validation draws the base seed of its
      data loader from torch's generator) does not change training;
    - on resume it takes them from the checkpoint.

    The samplers need nothing: MMEngine's ``DefaultSampler`` and our
    ``GroupBalancedBatchSampler`` draw from generators seeded by the seed
    and the epoch. On CPU, a run resumed from an epoch's checkpoint then
    repeats the uninterrupted one bit for bit. Not covered: data loader
    workers with ``persistent_workers=True`` keep their own generators
    across epochs, which no checkpoint can hold, so their augmentations
    differ after a resume (with ``num_workers=0``, or workers created anew
    every epoch, they do not); nondeterministic GPU kernels; a resume with
    another number of processes (the states are restored only when the
    world size matches, else a warning says so). Every config of ours has
    it as ``default_hooks.rng_state``.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._states: Optional[List[dict]] = None

    def after_train_epoch(self, runner) -> None:
        """Record every rank's generators at the end of the epoch's
        training (before the checkpoint hook and validation)."""
        self._states = all_gather_object(_rng_state())

    def before_train_epoch(self, runner) -> None:
        """Start the epoch from the states of the end of the last one."""
        if self._states is None:
            return
        if len(self._states) != get_world_size():
            print_log(
                f'RNGStateHook: the checkpoint holds the generators of '
                f'{len(self._states)} processes, this run has '
                f'{get_world_size()}: they are not restored, so this run '
                'does not repeat the draws of the one it resumes.',
                logger='current', level=30)
        else:
            _set_rng_state(self._states[get_rank()])
        self._states = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._states is not None:
            checkpoint[CHECKPOINT_KEY] = self._states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """On resume (not ``load_from``), take the states to restore at the
        start of the next epoch."""
        if getattr(runner, '_resume', False) and CHECKPOINT_KEY in checkpoint:
            self._states = checkpoint[CHECKPOINT_KEY]
