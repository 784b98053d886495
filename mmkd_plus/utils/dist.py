# Copyright (c) OpenMMLab. All rights reserved.
"""Collectives shared by the losses and tools that run under DDP.

MMEngine's ``mmengine.dist`` covers objects and equal-shaped tensors; the
losses of mmkd_plus also need rows gathered from ranks whose batches differ
in length (a last, smaller batch) and, for SSKD, gathered with gradients.
The tools need the process group torn down before the interpreter exits:
gloo's worker threads that are still alive then abort the process
("terminate called without an active exception") at random, and torchrun
reports a failed run although training finished.
"""
from typing import List, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

from mmkd_plus.compat import release_process_group

__all__ = [
    'dist_info', 'is_distributed', 'gathered_sizes', 'all_gather_rows',
    'finish_distributed'
]


def dist_info() -> Tuple[int, int]:
    """``(rank, world_size)``; ``(0, 1)`` without torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_distributed() -> bool:
    """Whether torch.distributed is initialised with more than one rank."""
    return dist_info()[1] > 1


def gathered_sizes(tensor: Tensor) -> List[int]:
    """The number of rows of ``tensor`` on every rank, in rank order.

    Every rank must call this.
    """
    world = dist_info()[1]
    if world == 1:
        return [tensor.shape[0]]
    size = torch.tensor([tensor.shape[0]],
                        dtype=torch.long,
                        device=tensor.device)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    return [int(s.item()) for s in sizes]


def all_gather_rows(tensor: Tensor, grad: bool = False) -> Tensor:
    """Concatenate, in rank order, a (b, ...) tensor from every rank.

    The ranks may hold different numbers of rows ``b``: the tensors are
    padded to the largest ``b`` for the collective and trimmed after it.
    Every rank must call this. Without DDP it returns ``tensor`` itself
    (detached unless ``grad``).

    Args:
        tensor (Tensor): This rank's rows, shape (b, ...).
        grad (bool): Whether gradients flow back to every rank's rows
            (``torch.distributed.nn.functional.all_gather``). Defaults to
            False: the result is detached.

    Returns:
        Tensor: The rows of rank 0, then rank 1, ..., shape
        (sum of b, ...).
    """
    if not grad:
        tensor = tensor.detach()
    sizes = gathered_sizes(tensor)
    if len(sizes) == 1:
        return tensor
    tensor = tensor.contiguous()
    longest = max(sizes)
    if tensor.shape[0] < longest:
        pad = tensor.new_zeros((longest - tensor.shape[0], ) +
                               tuple(tensor.shape[1:]))
        tensor = torch.cat([tensor, pad])
    if grad:
        from torch.distributed.nn.functional import all_gather
        gathered = list(all_gather(tensor))
    else:
        gathered = [torch.empty_like(tensor) for _ in sizes]
        dist.all_gather(gathered, tensor)
    return torch.cat([g[:n] for g, n in zip(gathered, sizes)])


def finish_distributed() -> None:
    """Wait for every rank, then destroy the default process group.

    Called by ``tools/train.py`` and ``tools/test.py`` when they end, so
    that no collective's thread outlives the interpreter. A no-op without
    torch.distributed. Any script whose CPU processes were started by
    MMEngine's ``init_dist`` gets the same release, without the wait, at
    exit (:func:`mmkd_plus.compat.release_process_group`).
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        # collects first what reference cycles keep (a DDP wrapper's
        # reducer holds the group), then destroys the group
        release_process_group()
