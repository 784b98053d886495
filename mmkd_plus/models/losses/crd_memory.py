# Copyright (c) OpenMMLab. All rights reserved.
"""CRD's memory banks, kept identical on every rank under DDP.

Helpers of :class:`~mmkd_plus.models.losses.SyncCRDLoss` (not registered).
"Contrastive Representation Distillation" (Tian, Krishnan & Isola, ICLR
2020), https://arxiv.org/abs/1910.10699; semantics of the CRD benchmark's
``ContrastMemory`` (``crd/memory.py`` of
https://github.com/HobbitLong/RepDistiller), written afresh, with two
changes for distributed training:

- the momentum update all-gathers the embeddings and dataset indices of
  every rank first, so that every rank applies the same update and the
  banks stay identical (MMRazor 1.0.0's ``ContrastMemory`` updates each
  rank's copy with that rank's samples only, so the copies drift apart and
  each row is refreshed only by the rank that happened to see the sample);
- the normalisation constants ``Z`` are estimated on the first batch of
  *all* ranks (a global mean), and the banks are broadcast from rank 0 at
  that first step, so the ranks start from the same state whatever their
  random seeds.

Everything is in buffers, so a checkpoint holds the banks, the ``Z``
constants and the flag that says they are set: a resumed run continues
exactly.

:class:`CRDQueueMemory` is the alternative for datasets whose two full
banks do not fit (ImageNet: 2 x 1.28 M x 128 floats): a first-in first-out
queue of the most recent embeddings of each network, as MoCo keeps ("Momentum
Contrast for Unsupervised Visual Representation Learning", He et al., CVPR
2020, https://arxiv.org/abs/1911.05722), synchronised across ranks the same
way (all-gather, then the same enqueue on every rank).
"""
import math
from typing import Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
from torch import Tensor

from mmkd_plus.ops.contrastive import (contrast_exp_scores, estimate_partition,
                                       momentum_update)
from mmkd_plus.utils.dist import all_gather_rows, is_distributed
from .flag_buffer import flag_buffer, upgrade_bool_flags

__all__ = [
    'CRDMemory', 'CRDQueueMemory', 'last_occurrences', 'estimate_partitions'
]


def last_occurrences(idx: Tensor) -> Tensor:
    """Positions of the last occurrence of every distinct value of ``idx``.

    A dataset index can occur twice in one (gathered) batch, e.g. when the
    distributed sampler pads the last batch with repeated samples. The
    update then uses the last occurrence only, so the result does not
    depend on how ``index_copy_`` orders duplicate writes.

    Args:
        idx (Tensor): Indices, shape (n, ).

    Returns:
        Tensor: Positions into ``idx`` (long), one per distinct value, in
        ascending order of the values.
    """
    uniq, inverse = torch.unique(idx, return_inverse=True)
    order = torch.arange(idx.numel(), device=idx.device)
    last = torch.full((uniq.numel(), ),
                      -1,
                      dtype=torch.long,
                      device=idx.device)
    return last.scatter_reduce(0, inverse, order, reduce='amax')


@torch.no_grad()
def estimate_partitions(exp_s: Tensor, exp_t: Tensor,
                        num_data: int) -> Tuple[Tensor, Tensor]:
    """``Z_s`` and ``Z_t`` (fp64) from one step's unnormalised scores.

    ``Z = mean(exp scores) * num_data``; under DDP the mean is over the
    scores of all ranks (an all-reduce), so every rank gets the same
    constants.

    Args:
        exp_s (Tensor): Unnormalised student-anchored scores.
        exp_t (Tensor): Unnormalised teacher-anchored scores.
        num_data (int): The number of samples of the training set.

    Returns:
        tuple[Tensor, Tensor]: ``(Z_s, Z_t)``, fp64 scalars.
    """
    if is_distributed():
        stats = torch.stack([
            exp_s.detach().double().sum(),
            torch.tensor(
                float(exp_s.numel()), dtype=torch.float64,
                device=exp_s.device),
            exp_t.detach().double().sum(),
            torch.tensor(
                float(exp_t.numel()), dtype=torch.float64,
                device=exp_t.device),
        ])
        dist.all_reduce(stats)
        return (stats[0] / stats[1] * float(num_data),
                stats[2] / stats[3] * float(num_data))
    return (estimate_partition(exp_s.double(), num_data),
            estimate_partition(exp_t.double(), num_data))


def _initial_rows(rows: int, feat_dim: int) -> Tensor:
    """Initial memory rows: uniform in ``[-s, s]``, ``s = 1 / sqrt(feat_dim
    / 3)`` (norm about 1), as in the CRD benchmark."""
    stdv = 1.0 / math.sqrt(feat_dim / 3)
    return torch.rand(rows, feat_dim).mul_(2 * stdv).sub_(stdv)


class _ContrastMemory(nn.Module):
    """What CRD's two memories share: the two row stores of embeddings
    (named by ``_STORES``, then any buffer a subclass adds), the
    normalisation constants ``z_s``, ``z_t`` and their ``z_set`` flag,
    the broadcast of rank 0's state at the first step and the all-gather
    of an update under DDP.

    Args:
        num_data (int): Number of training samples.
        feat_dim (int): Embedding dimension.
        temperature (float): ``tau`` of the scores.
        rows (int): Rows of each store.
    """

    #: The names of the student's and the teacher's store.
    _STORES: Tuple[str, str]
    #: Buffers broadcast from rank 0 at the first step (the stores first).
    _SYNCED: Tuple[str, ...]

    def __init__(self, num_data: int, feat_dim: int, temperature: float,
                 rows: int) -> None:
        super().__init__()
        self.num_data = num_data
        self.feat_dim = feat_dim
        self.temperature = temperature
        for name in self._STORES:
            self.register_buffer(name, _initial_rows(rows, feat_dim))

    def _register_partition(self) -> None:
        """The constants' buffers (after the subclass's own, so that the
        state dict keeps its key order)."""
        self.register_buffer('z_s', torch.tensor(0.0, dtype=torch.float64))
        self.register_buffer('z_t', torch.tensor(0.0, dtype=torch.float64))
        self.register_buffer('z_set', flag_buffer(False))

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        upgrade_bool_flags(state_dict, prefix, ('z_set', ))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @torch.no_grad()
    def broadcast_banks(self) -> None:
        """Under DDP, copy rank 0's stores to every rank (else nothing)."""
        if is_distributed():
            for name in self._SYNCED:
                dist.broadcast(getattr(self, name), src=0)

    @torch.no_grad()
    def set_partition(self, exp_s: Tensor, exp_t: Tensor) -> None:
        """Estimate ``Z_s`` and ``Z_t`` from this step's scores.

        Under DDP the estimate is the mean over the scores of all ranks
        (an all-reduce), so every rank gets the same constants (call
        :meth:`broadcast_banks` before computing the scores).

        Args:
            exp_s (Tensor): Unnormalised student-anchored scores.
            exp_t (Tensor): Unnormalised teacher-anchored scores.
        """
        z_s, z_t = estimate_partitions(exp_s, exp_t, self.num_data)
        self.z_s.copy_(z_s)
        self.z_t.copy_(z_t)
        self.z_set.fill_(True)

    def _update_rows(self, s_embed: Tensor, t_embed: Tensor,
                     sync: Optional[bool]) -> Tuple[Tensor, Tensor]:
        """The embeddings of an update, detached in the stores' dtype, of
        every rank (rank order, then batch order) when ``sync`` (None:
        when distributed)."""
        dtype = getattr(self, self._STORES[0]).dtype
        s_embed = s_embed.detach().to(dtype)
        t_embed = t_embed.detach().to(dtype)
        if sync is None:
            sync = is_distributed()
        if sync:
            both = all_gather_rows(torch.cat([s_embed, t_embed], dim=1))
            s_embed, t_embed = both.split(self.feat_dim, dim=1)
        return s_embed, t_embed


class CRDMemory(_ContrastMemory):
    """The two memory banks of CRD and their normalisation constants.

    ``memory_s`` holds one (L2-normalised after its first update) student
    embedding per training sample, ``memory_t`` one teacher embedding. The
    teacher-anchored scores compare a teacher embedding with rows of
    ``memory_s``, the student-anchored scores a student embedding with rows
    of ``memory_t``, as in the CRD benchmark. Rows start uniform in
    ``[-s, s]``, ``s = 1 / sqrt(feat_dim / 3)`` (norm about 1), as there.

    Buffers (all saved in the state dict): ``memory_s`` and ``memory_t``
    (num_data, feat_dim), ``z_s`` and ``z_t`` (scalars, fp64) and
    ``z_set`` (a uint8 0/1 flag, 1 once the constants are estimated).

    Args:
        num_data (int): Number of training samples (rows of each bank).
        feat_dim (int): Embedding dimension. Defaults to 128.
        temperature (float): ``tau`` of the scores. Defaults to 0.07.
        momentum (float): Weight of the old row in the update. Defaults
            to 0.5.
    """

    _STORES = ('memory_s', 'memory_t')
    _SYNCED = _STORES

    def __init__(self,
                 num_data: int,
                 feat_dim: int = 128,
                 temperature: float = 0.07,
                 momentum: float = 0.5) -> None:
        if num_data <= 0 or feat_dim <= 0:
            raise ValueError('CRDMemory needs num_data > 0 and feat_dim > 0, '
                             f'got {num_data} and {feat_dim}.')
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f'momentum must be in [0, 1], got {momentum}.')
        super().__init__(num_data, feat_dim, temperature, rows=num_data)
        self.momentum = momentum
        self._register_partition()

    def exp_scores(self, s_embed: Tensor, t_embed: Tensor,
                   contrast_idx: Tensor) -> Tuple[Tensor, Tensor]:
        """Unnormalised scores of both directions.

        Args:
            s_embed (Tensor): Student embeddings, shape (B, D).
            t_embed (Tensor): Teacher embeddings, shape (B, D).
            contrast_idx (Tensor): Dataset indices, shape (B, 1 + N): the
                positive first, then the negatives.

        Returns:
            tuple[Tensor, Tensor]: ``(exp_s, exp_t)``, each (B, 1 + N):
            student anchors against ``memory_t`` and teacher anchors
            against ``memory_s``. The banks get no gradient.
        """
        batch, width = contrast_idx.shape
        flat = contrast_idx.reshape(-1)
        rows_t = self.memory_t.index_select(0, flat).detach().view(
            batch, width, self.feat_dim)
        rows_s = self.memory_s.index_select(0, flat).detach().view(
            batch, width, self.feat_dim)
        exp_s = contrast_exp_scores(rows_t, s_embed.to(rows_t.dtype),
                                    self.temperature)
        exp_t = contrast_exp_scores(rows_s, t_embed.to(rows_s.dtype),
                                    self.temperature)
        return exp_s, exp_t

    @torch.no_grad()
    def update(self,
               s_embed: Tensor,
               t_embed: Tensor,
               sample_idx: Tensor,
               sync: Optional[bool] = None) -> None:
        """Momentum update of the rows of the batch's samples.

        ``row <- normalize(momentum * row + (1 - momentum) * embedding)``
        in both banks. Under DDP (``sync`` None and more than one rank, or
        ``sync`` True) the embeddings and indices of every rank are
        all-gathered first and all ranks apply the same update; duplicate
        indices keep their last occurrence (rank order, then batch order).

        Args:
            s_embed (Tensor): Student embeddings, shape (B, D).
            t_embed (Tensor): Teacher embeddings, shape (B, D).
            sample_idx (Tensor): Dataset indices of the batch, shape (B, ).
            sync (bool, optional): Force or skip the all-gather. Defaults
                to None (sync when distributed).
        """
        if sync is None:
            sync = is_distributed()
        s_embed, t_embed = self._update_rows(s_embed, t_embed, sync)
        sample_idx = sample_idx.detach().long().view(-1)
        if sync:
            sample_idx = all_gather_rows(sample_idx)
        keep = last_occurrences(sample_idx)
        sample_idx = sample_idx[keep]
        for bank, embed in ((self.memory_s, s_embed[keep]), (self.memory_t,
                                                             t_embed[keep])):
            rows = bank.index_select(0, sample_idx)
            bank.index_copy_(0, sample_idx,
                             momentum_update(rows, embed, self.momentum))

    def extra_repr(self) -> str:
        return (f'num_data={self.num_data}, feat_dim={self.feat_dim}, '
                f'temperature={self.temperature}, momentum={self.momentum}')


class CRDQueueMemory(_ContrastMemory):
    """CRD's memory as two queues of the most recent embeddings (MoCo-style).

    For datasets whose two full banks (:class:`CRDMemory`, 2 x num_data x
    feat_dim) do not fit. ``queue_s`` and ``queue_t`` hold the student and
    the teacher embeddings of the last ``queue_size`` training samples seen
    (of all ranks), first in, first out. Rows start uniform in ``[-s, s]``,
    ``s = 1 / sqrt(feat_dim / 3)``, as the banks do, and are overwritten
    as batches arrive.

    Scores, for a batch of embeddings ``s``, ``t`` (B, D):

    - student anchors: column 0 is the positive, ``<t[b], s[b]>`` (the
      teacher embedding of the same sample, detached, in the role the bank
      row ``memory_t[sample_idx]`` plays in :class:`CRDMemory`), columns
      1..K the whole ``queue_t``;
    - teacher anchors: ``<s[b], t[b]>`` (``s`` detached), then ``queue_s``.

    So the negatives are the ``K = queue_size`` queued embeddings, the same
    for every anchor; no contrast indices are needed, and none of the
    other-class filtering of the banks' ``'exact'`` sampling is done (a
    queued embedding may be of the same class, or, after a full epoch, of
    the same sample).

    Buffers (all saved in the state dict): ``queue_s`` and ``queue_t``
    (queue_size, feat_dim), ``queue_ptr`` (long scalar, the next row to
    write), ``z_s`` and ``z_t`` (fp64 scalars) and ``z_set`` (uint8 flag).

    Args:
        num_data (int): Number of training samples ``M`` (the NCE noise is
            ``1 / M`` and ``Z`` is scaled to ``M``, as with the banks).
        queue_size (int): ``K``, the rows of each queue (the negatives per
            anchor). Must be at least the global batch (batch size x
            ranks). Defaults to 16384.
        feat_dim (int): Embedding dimension. Defaults to 128.
        temperature (float): ``tau`` of the scores. Defaults to 0.07.
    """

    _STORES = ('queue_s', 'queue_t')
    _SYNCED = _STORES + ('queue_ptr', )

    def __init__(self,
                 num_data: int,
                 queue_size: int = 16384,
                 feat_dim: int = 128,
                 temperature: float = 0.07) -> None:
        if num_data <= 0 or feat_dim <= 0 or queue_size <= 0:
            raise ValueError(
                'CRDQueueMemory needs num_data, queue_size and feat_dim > 0, '
                f'got {num_data}, {queue_size} and {feat_dim}.')
        super().__init__(num_data, feat_dim, temperature, rows=queue_size)
        self.queue_size = queue_size
        self.register_buffer('queue_ptr', torch.tensor(0, dtype=torch.long))
        self._register_partition()

    def check_batch(self, batch: int) -> None:
        """Raise if ``batch`` rows cannot be enqueued at once."""
        if batch > self.queue_size:
            raise ValueError(
                f'CRD queue memory: a batch of {batch} embeddings (all '
                f'ranks) does not fit in queue_size={self.queue_size}: set '
                'queue_size to at least the global batch size (batch size '
                'x number of GPUs).')

    def exp_scores(self, s_embed: Tensor,
                   t_embed: Tensor) -> Tuple[Tensor, Tensor]:
        """Unnormalised scores of both directions.

        Args:
            s_embed (Tensor): Student embeddings, shape (B, D).
            t_embed (Tensor): Teacher embeddings, shape (B, D).

        Returns:
            tuple[Tensor, Tensor]: ``(exp_s, exp_t)``, each (B, 1 + K): the
            positive, then the queue. The positives' other side and the
            queues get no gradient.
        """
        dtype = self.queue_t.dtype
        s_embed = s_embed.to(dtype)
        t_embed = t_embed.to(dtype)
        pos_s = contrast_exp_scores(t_embed.detach().unsqueeze(1), s_embed,
                                    self.temperature)
        pos_t = contrast_exp_scores(s_embed.detach().unsqueeze(1), t_embed,
                                    self.temperature)
        # copies: the products keep the queues for the backward pass, and
        # update() overwrites them in place before it runs
        neg_s = torch.exp(s_embed @ self.queue_t.detach().clone().t() /
                          self.temperature)
        neg_t = torch.exp(t_embed @ self.queue_s.detach().clone().t() /
                          self.temperature)
        return torch.cat([pos_s, neg_s], 1), torch.cat([pos_t, neg_t], 1)

    @torch.no_grad()
    def update(self,
               s_embed: Tensor,
               t_embed: Tensor,
               sample_idx: Optional[Tensor] = None,
               sync: Optional[bool] = None) -> None:
        """Enqueue the batch's embeddings, replacing the oldest rows.

        Under DDP (``sync`` None and more than one rank, or ``sync`` True)
        the embeddings of every rank are all-gathered first (rank order,
        then batch order) and every rank writes the same rows. The
        embeddings are stored as given (the connectors L2-normalise them).

        Args:
            s_embed (Tensor): Student embeddings, shape (B, D).
            t_embed (Tensor): Teacher embeddings, shape (B, D).
            sample_idx (Tensor, optional): Unused (the interface of
                :meth:`CRDMemory.update`).
            sync (bool, optional): Force or skip the all-gather. Defaults
                to None (sync when distributed).
        """
        s_embed, t_embed = self._update_rows(s_embed, t_embed, sync)
        batch = s_embed.shape[0]
        self.check_batch(batch)
        rows = (self.queue_ptr + torch.arange(
            batch, device=self.queue_s.device)) % self.queue_size
        self.queue_s.index_copy_(0, rows, s_embed)
        self.queue_t.index_copy_(0, rows, t_embed)
        self.queue_ptr.copy_((self.queue_ptr + batch) % self.queue_size)

    def extra_repr(self) -> str:
        return (f'num_data={self.num_data}, queue_size={self.queue_size}, '
                f'feat_dim={self.feat_dim}, '
                f'temperature={self.temperature}')
