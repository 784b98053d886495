# Copyright (c) OpenMMLab. All rights reserved.
"""MMEngine's default sampler, each index tagged with its epoch."""
from typing import Iterator, Tuple

from mmengine.dataset import DefaultSampler

from mmkd_plus.registry import DATA_SAMPLERS

__all__ = ['EpochTaggedSampler']


@DATA_SAMPLERS.register_module()
class EpochTaggedSampler(DefaultSampler):
    """MMEngine's ``DefaultSampler`` that yields ``(epoch, index)`` pairs.

    The indices, their order and their split across ranks are
    ``DefaultSampler``'s (same ``shuffle``, ``seed``, ``round_up``); each
    comes with the sampler's epoch, which MMEngine's ``DistSamplerSeedHook``
    sets before every training epoch (a resumed run included). The pair
    reaches the dataset's ``__getitem__`` in whichever process loads it:
    unlike an attribute set on the dataset, it also reaches persistent
    dataloader workers, which hold copies of the dataset made at the first
    epoch. :class:`~mmkd_plus.datasets.TeacherCacheDataset` reads the cache
    epoch from it.

    Args:
        **kwargs: The arguments of ``DefaultSampler`` (``dataset``,
            ``shuffle``, ``seed``, ``round_up``).
    """

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        """The indices of this rank, each as ``(epoch, index)``."""
        epoch = self.epoch
        return ((epoch, index) for index in super().__iter__())
