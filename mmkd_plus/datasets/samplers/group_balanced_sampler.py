# Copyright (c) OpenMMLab. All rights reserved.
"""The (group, label) balanced batch sampler of fair training."""
import logging
from typing import Iterator, List, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Sampler

from mmkd_plus.registry import DATA_SAMPLERS
from ..fairness import read_groups

__all__ = ['GroupBalancedBatchSampler']


@DATA_SAMPLERS.register_module()
class GroupBalancedBatchSampler(Sampler):
    """Batches that draw equally from every (group, label) cell.

    The ``--labelwise`` sampling of "Fair Feature Distillation for Visual
    Recognition" (Jung et al., CVPR 2021, https://arxiv.org/abs/2106.04411),
    written afresh from its description: with C non-empty cells, every
    batch holds ``k = batch_size // C`` samples of each cell (``k * C``
    samples; 6 x 20 = 120 for CIFAR-10S at batch 128). Each epoch every
    cell is shuffled, and cells smaller than the largest are reshuffled and
    repeated until they are as long as it; the epoch ends when the largest
    cell is used up (the last incomplete batch is dropped). A repetition
    that starts in the middle of a step is reordered at its start so that
    no sample is drawn twice in one step (unless its cell is smaller than
    the step's ``world_size * k`` draws of it).

    Under DDP the cells' streams are the same on every rank (one seed), and
    rank r takes positions r, r + W, r + 2W, ... of each: the ranks get
    disjoint shares with the same balance, and the same number of batches.

    Use it as the dataloader's ``batch_sampler``; MMEngine builds it with
    the dataloader's ``sampler`` (whose ``seed``, ``shuffle``, ``epoch``,
    rank and world size it follows; ``DistSamplerSeedHook`` sets the
    epoch through it) and ``batch_size``::

        train_dataloader = dict(
            batch_size=128,
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_sampler=dict(type='GroupBalancedBatchSampler'),
            dataset=dict(type='CIFAR10S', ...))

    The groups come from ``dataset.get_groups()`` or the ``group`` key of
    each data info; a sample without one stops with an error naming the
    dataset.

    Args:
        sampler (Sampler): The dataloader's sampler (an MMEngine
            ``DefaultSampler``); only its dataset, seed, shuffle, epoch and
            rank are used.
        batch_size (int): The nominal batch size per rank
            (``train_dataloader.batch_size``).
        rank (int, optional): Override the rank (tests). Defaults to the
            sampler's or the process's.
        world_size (int, optional): Override the world size (tests).
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None) -> None:
        self.sampler = sampler
        self.dataset = sampler.dataset
        dist_rank, dist_world = get_dist_info()
        self.rank = rank if rank is not None else getattr(
            sampler, 'rank', dist_rank)
        self.world_size = world_size if world_size is not None else getattr(
            sampler, 'world_size', dist_world)
        seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else seed
        self.shuffle = getattr(sampler, 'shuffle', True)
        self.batch_size = batch_size

        groups = read_groups(self.dataset)
        labels = np.asarray(self.dataset.get_gt_labels(), dtype=np.int64)
        self.cells = {}
        for key in sorted(set(zip(groups.tolist(), labels.tolist()))):
            self.cells[key] = np.flatnonzero((groups == key[0])
                                             & (labels == key[1]))
        if not self.cells:
            raise ValueError(f'GroupBalancedBatchSampler: the dataset '
                             f'{type(self.dataset).__name__} is empty.')
        self.per_cell = batch_size // len(self.cells)
        if self.per_cell == 0:
            raise ValueError(
                f'train_dataloader.batch_size={batch_size} is smaller than '
                f'the {len(self.cells)} (group, label) cells of '
                f'{type(self.dataset).__name__}; GroupBalancedBatchSampler '
                'needs at least one sample of each cell per batch. Raise '
                'the batch size.')
        self.cell_len = max(len(m) for m in self.cells.values())
        if self.per_cell * len(self.cells) != batch_size:
            print_log(
                f'GroupBalancedBatchSampler: {len(self.cells)} cells x '
                f'{self.per_cell} = {self.per_cell * len(self.cells)} '
                f'samples per batch (batch_size={batch_size}).',
                logger='current',
                level=logging.INFO)

    @property
    def epoch(self) -> int:
        """The epoch, as the wrapped sampler holds it."""
        return getattr(self.sampler, 'epoch', 0)

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch (forwarded to the wrapped sampler)."""
        self.sampler.set_epoch(epoch)

    def _cell_stream(self, members: np.ndarray,
                     rng: np.random.RandomState) -> np.ndarray:
        """``cell_len`` indices of one cell: shuffled, repeated as needed.

        One step of all ranks draws ``world_size * per_cell`` consecutive
        positions of the stream (a window). When a repetition begins inside
        a window, its first draws skip the samples that window already
        holds (moved further into the repetition), so no sample appears
        twice in a step, on one rank or across ranks. Only a cell smaller
        than a window must repeat samples within a step.
        """
        window = self.world_size * self.per_cell
        parts, total = [], 0
        last = members[:0]  # the stream's last `window` positions
        while total < self.cell_len:
            part = rng.permutation(members) if self.shuffle else members
            held = total % window
            if held:
                clash = np.isin(part, last[len(last) - held:])
                front = np.flatnonzero(~clash)[:window - held]
                rest = np.ones(len(part), dtype=bool)
                rest[front] = False
                part = np.concatenate([part[front], part[rest]])
            parts.append(part)
            total += len(part)
            last = np.concatenate([last, part])[-window:]
        return np.concatenate(parts)[:self.cell_len]

    def __iter__(self) -> Iterator[List[int]]:
        rng = np.random.RandomState(self.seed + self.epoch)
        streams = [
            self._cell_stream(members, rng)[self.rank::self.world_size]
            for members in self.cells.values()
        ]
        k = self.per_cell
        for b in range(len(self)):
            yield np.concatenate([s[b * k:(b + 1) * k]
                                  for s in streams]).tolist()

    def __len__(self) -> int:
        return self.cell_len // (self.world_size * self.per_cell)
