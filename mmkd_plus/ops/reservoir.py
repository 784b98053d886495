# Copyright (c) OpenMMLab. All rights reserved.
"""A seeded uniform sample of a stream of rows, in linear time."""
from typing import Optional

import torch
from torch import Tensor

__all__ = ['ReservoirSampler']


class ReservoirSampler:
    """A uniform random sample of at most ``capacity`` rows of a stream.

    Every row of the stream gets a random key from a CPU generator seeded
    with ``seed``, and the ``capacity`` rows with the smallest keys are
    kept (reservoir sampling with random keys; Efraimidis and Spirakis,
    "Weighted random sampling with a reservoir", IPL 2006, with equal
    weights; equal keys are ordered by stream position). The sample is
    uniform over the whole stream, the same for the same seed and stream
    however the stream is cut into batches, and returned in increasing key
    order (in stream order while the stream fits).

    It runs in time linear in the stream: the rows live in one buffer of
    at most ``capacity * (1 + slack)`` rows, grown geometrically as rows
    arrive (so a huge ``capacity`` on a small stream allocates only what
    the stream brings; amortised linear copying); a batch's keys are
    compared with the current threshold (the largest kept key) and only
    the rows below it are copied (from their device) into the buffer;
    when the buffer is full it is compacted in place to the ``capacity``
    smallest keys, which lowers the threshold. Memory stays at the buffer
    plus one batch.

    Args:
        capacity (int): Most rows kept.
        seed (int): Seed of the keys.
        slack (float): Extra buffer rows, as a fraction of ``capacity``:
            more means fewer compactions and more memory. Defaults to 0.25.
    """

    def __init__(self, capacity: int, seed: int, slack: float = 0.25):
        if int(capacity) < 1:
            raise ValueError(f'capacity must be positive, got {capacity!r}.')
        if not slack > 0:
            raise ValueError(f'slack must be positive, got {slack!r}.')
        self.capacity = int(capacity)
        self.size = self.capacity + max(1, int(self.capacity * slack))
        self.generator = torch.Generator().manual_seed(int(seed))
        self.seen = 0
        self._rows: Optional[Tensor] = None
        self._keys = torch.empty(0)
        self._index = torch.empty(0, dtype=torch.long)
        self._fill = 0
        self._threshold = float('inf')

    def add(self, rows: Tensor) -> None:
        """Offer the ``(n, C)`` rows of a batch (on any device)."""
        if rows.dim() != 2:
            raise ValueError(f'rows must be (n, C), got {tuple(rows.shape)}.')
        if self._rows is not None and rows.shape[1] != self._rows.shape[1]:
            raise ValueError(f'rows of width {rows.shape[1]} after rows of '
                             f'width {self._rows.shape[1]}.')
        keys = torch.rand(rows.shape[0], generator=self.generator)
        take = (keys < self._threshold).nonzero().squeeze(1)
        index = take + self.seen
        self.seen += rows.shape[0]
        if take.numel() == 0:
            return
        if take.numel() < keys.numel():
            keys, rows = keys[take], rows[take.to(rows.device)]
        rows = rows.detach().to('cpu')
        if self._rows is None:
            self._rows = rows.new_empty(0, rows.shape[1])
        while keys.numel():
            if self._fill == self.size:
                self._compact()
                below = keys < self._threshold
                keys, rows, index = keys[below], rows[below], index[below]
                continue
            if self._fill + keys.numel() > self._keys.numel():
                self._grow(self._fill + keys.numel())
            m = min(self._keys.numel() - self._fill, keys.numel())
            self._rows[self._fill:self._fill + m] = rows[:m]
            self._keys[self._fill:self._fill + m] = keys[:m]
            self._index[self._fill:self._fill + m] = index[:m]
            self._fill += m
            keys, rows, index = keys[m:], rows[m:], index[m:]

    def _grow(self, needed: int) -> None:
        """Enlarge the buffers to at least ``needed`` rows (at most
        ``size``), doubling so that copying stays linear overall."""
        new = min(self.size, max(needed, 2 * self._keys.numel(), 1024))
        rows = self._rows.new_empty(new, self._rows.shape[1])
        rows[:self._fill] = self._rows[:self._fill]
        keys = torch.empty(new)
        keys[:self._fill] = self._keys[:self._fill]
        index = torch.empty(new, dtype=torch.long)
        index[:self._fill] = self._index[:self._fill]
        self._rows, self._keys, self._index = rows, keys, index

    def _compact(self) -> None:
        """Keep the ``capacity`` smallest keys (ties: earliest first)."""
        keys = self._keys[:self._fill]
        threshold = torch.kthvalue(keys, self.capacity).values
        keep = keys < threshold
        ties = (keys == threshold).nonzero().squeeze(1)
        ties = ties[self._index[ties].argsort()]
        keep[ties[:self.capacity - int(keep.sum())]] = True
        # kept rows beyond `capacity` move into the holes before it
        holes = (~keep[:self.capacity]).nonzero().squeeze(1)
        movers = keep[self.capacity:].nonzero().squeeze(1) + self.capacity
        step = 65536  # bounds the temporary of the indexed copy
        for i in range(0, holes.numel(), step):
            dst, src = holes[i:i + step], movers[i:i + step]
            self._rows[dst] = self._rows[src]
            self._keys[dst] = self._keys[src]
            self._index[dst] = self._index[src]
        self._fill = self.capacity
        self._threshold = float(threshold)

    def sample(self) -> Optional[Tensor]:
        """The sample, ``(min(seen, capacity), C)`` on the CPU, or None.

        Rows come in increasing key order once the stream has overflowed
        the capacity (a new tensor), in stream order before (a view of the
        buffer).
        """
        if self._rows is None:
            return None
        if self._fill > self.capacity:
            self._compact()
        if self.seen <= self.capacity:
            return self._rows[:self._fill]
        order = self._index[:self._fill].argsort()
        order = order[self._keys[order].argsort(stable=True)]
        return self._rows[order]
