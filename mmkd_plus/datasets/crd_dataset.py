# Copyright (c) OpenMMLab. All rights reserved.
"""A dataset wrapper that adds CRD's contrast indices to every sample."""
import copy
import logging
from typing import Any, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmkd_plus.registry import DATASETS

__all__ = ['CRDDatasetWrapper']


@DATASETS.register_module()
class CRDDatasetWrapper:
    """Give every training sample CRD's positive and negative indices.

    "Contrastive Representation Distillation" (Tian, Krishnan & Isola, ICLR
    2020), https://arxiv.org/abs/1910.10699. Sampling of the CRD benchmark's
    ``CIFAR100InstanceSample`` (``dataset/cifar100.py`` of
    https://github.com/HobbitLong/RepDistiller), written afresh: each time a
    sample is loaded, ``contrast_idx`` = ``[positive, N negatives]`` is added
    to its data info before the pipeline, with

    - ``sample_mode='exact'`` (the benchmark's CRD setting): the positive is
      the sample itself; ``'relax'``: a random sample of the same class;
    - the N negatives drawn uniformly from the samples of the *other*
      classes, without replacement unless there are fewer than N of them
      (as the benchmark's ``replace = self.k > len(cls_negative)``): then
      they repeat, and the wrapper warns once, when it indexes the data,
      with the numbers (e.g. a 144-image share of the digits with the
      1024 negatives of the digits recipe). It warns rather than refuses
      because repeated negatives are the benchmark's own behaviour on small
      data; lower ``num_negatives`` (in the dataset and the loss) for
      distinct ones.

    Pack the pipeline with
    :class:`~mmkd_plus.datasets.transforms.PackCRDInputs`, which puts
    ``sample_idx`` and ``contrast_idx`` in the data sample for
    :class:`~mmkd_plus.models.losses.SyncCRDLoss`.

    Why not MMRazor's ``CRDDataset``: with NumPy >= 1.24 it fails on any
    dataset whose classes have different sizes (it builds a ragged
    ``np.asarray``), e.g. the bundled digits; it also keeps one array of
    negatives per class (100 x 49,500 indices for CIFAR-100). Here the
    samples are sorted by class once, and the negatives of class c are the
    positions outside c's contiguous block: the memory is one index per
    sample.

    In test mode (``dataset.test_mode``) samples pass through unchanged.
    Random draws use NumPy's global generator, which MMEngine seeds per
    dataloader worker.

    Args:
        dataset (BaseDataset | dict): The dataset to wrap, or its config
            (built in the current registry scope).
        num_negatives (int): N, the negatives per sample. It must equal the
            loss's ``num_negatives`` (``SyncCRDLoss``/``WCoRDLoss`` refuse a
            batch of another width, naming both keys); the configs set the
            loss's from this key (``train_dataloader.dataset.
            num_negatives``). Defaults to 16384.
        sample_mode (str): ``'exact'`` or ``'relax'``. Defaults to
            ``'exact'``.
        lazy_init (bool): Defer :meth:`full_init`. Defaults to False.
        **dataset_kwargs: Other keys update the config of the wrapped
            dataset (``dataset`` must then be a dict): tools that set
            ``train_dataloader.dataset.data_root`` or ``.indices`` work on
            a wrapped config too.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 num_negatives: int = 16384,
                 sample_mode: str = 'exact',
                 lazy_init: bool = False,
                 **dataset_kwargs) -> None:
        if dataset_kwargs:
            if not isinstance(dataset, dict):
                raise TypeError(
                    'CRDDatasetWrapper: the keys '
                    f'{sorted(dataset_kwargs)} update the wrapped '
                    'dataset\'s config, but `dataset` is already built.')
            dataset = copy.deepcopy(dataset)
            dataset.update(dataset_kwargs)
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not isinstance(dataset, BaseDataset):
            raise TypeError('CRDDatasetWrapper wraps a BaseDataset or its '
                            f'config, got {type(dataset)}.')
        if sample_mode not in ('exact', 'relax'):
            raise ValueError("sample_mode must be 'exact' or 'relax', got "
                             f'{sample_mode!r}.')
        if num_negatives <= 0:
            raise ValueError(
                f'num_negatives must be > 0, got {num_negatives}.')
        self.dataset = dataset
        self.num_negatives = num_negatives
        self.sample_mode = sample_mode
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The meta information of the wrapped dataset (a copy)."""
        return copy.deepcopy(self.dataset.metainfo)

    @property
    def test_mode(self) -> bool:
        """Whether the wrapped dataset is in test mode."""
        return bool(self.dataset.test_mode)

    @property
    def pipeline(self):
        """The wrapped dataset's pipeline."""
        return self.dataset.pipeline

    def full_init(self) -> None:
        """Initialise the wrapped dataset and index the samples by class."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        labels = np.asarray(self.dataset.get_gt_labels(), dtype=np.int64)
        if labels.ndim != 1 or len(labels) != len(self.dataset):
            raise ValueError('CRDDatasetWrapper needs one integer label per '
                             'sample (single-label classification).')
        self.gt_labels = labels
        # samples sorted by class: class c occupies order[start[c]:end[c]]
        self._order = np.argsort(labels, kind='stable')
        num_classes = int(labels.max()) + 1 if len(labels) else 0
        counts = np.bincount(labels, minlength=num_classes)
        self._end = np.cumsum(counts)
        self._start = self._end - counts
        self._fully_initialized = True
        self._warn_repeated_negatives(counts)

    def _warn_repeated_negatives(self, counts: np.ndarray) -> None:
        """Warn when some classes have fewer other-class samples than
        ``num_negatives`` (their negatives are drawn with replacement)."""
        present = counts[counts > 0]
        if len(present) < 2:
            return  # one class: contrast_indices raises when called
        others = len(self.gt_labels) - present
        short = int((others < self.num_negatives).sum())
        if short == 0:
            return
        fewest = int(others.min())
        largest = int(np.argmax(counts))
        print_log(
            f'CRDDatasetWrapper: num_negatives={self.num_negatives} exceeds '
            f'the samples of the other classes for {short} of the '
            f'{len(present)} classes (the fewest: {fewest} of the '
            f'{len(self.gt_labels)} samples lie outside class {largest}), so '
            'their negatives are drawn with replacement and repeat, as in '
            'the CRD benchmark. For distinct negatives set '
            'train_dataloader.dataset.num_negatives (and the loss\'s '
            f'num_negatives, which must equal it) to at most {fewest}.',
            logger='current',
            level=logging.WARNING)

    def __len__(self) -> int:
        self.full_init()
        return len(self.dataset)

    def contrast_indices(self, idx: int) -> np.ndarray:
        """``[positive, N negatives]`` for sample ``idx`` (int64, 1 + N).

        Args:
            idx (int): The sample's index in the dataset.

        Returns:
            np.ndarray: The contrast indices.
        """
        self.full_init()
        label = self.gt_labels[idx]
        start, end = self._start[label], self._end[label]
        if self.sample_mode == 'exact':
            positive = idx
        else:
            positive = self._order[np.random.randint(start, end)]
        num_other = len(self._order) - (end - start)
        if num_other == 0:
            raise ValueError('CRDDatasetWrapper: the dataset has a single '
                             'class, there are no negatives to draw.')
        pos = np.random.choice(
            num_other,
            self.num_negatives,
            replace=self.num_negatives > num_other)
        # skip class `label`'s block of the sorted order
        pos = pos + (pos >= start) * (end - start)
        return np.concatenate([[positive], self._order[pos]]).astype(np.int64)

    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's data info, with ``contrast_idx`` added
        (outside test mode)."""
        self.full_init()
        info = self.dataset.get_data_info(idx)
        if not self.test_mode:
            info['contrast_idx'] = self.contrast_indices(idx)
        return info

    def prepare_data(self, idx: int) -> Any:
        """The data info of ``idx`` through the wrapped pipeline."""
        return self.dataset.pipeline(self.get_data_info(idx))

    def __getitem__(self, idx: int) -> Any:
        self.full_init()
        if self.test_mode:
            data = self.prepare_data(idx)
            if data is None:
                raise RuntimeError('the test pipeline returned None.')
            return data
        for _ in range(self.dataset.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = self.dataset._rand_another()
        raise RuntimeError('Cannot find a valid sample after '
                           f'{self.dataset.max_refetch} retries; check the '
                           'pipeline.')

    def __repr__(self) -> str:
        size = len(self.dataset) if self._fully_initialized else '?'
        return (f'{type(self).__name__}(num_negatives={self.num_negatives}, '
                f'sample_mode={self.sample_mode!r}, '
                f'dataset={type(self.dataset).__name__}, len={size})')
