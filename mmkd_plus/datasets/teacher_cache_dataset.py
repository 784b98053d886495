# Copyright (c) OpenMMLab. All rights reserved.
"""A dataset wrapper that replays the views a teacher cache recorded."""
import copy
import random
from typing import Any, Dict, Optional, Tuple

import numpy as np

from mmkd_plus.registry import DATASETS
from .teacher_cache import TeacherCache
from .transforms.recorded import (RECORD_KEY, REPLAY_KEY, RecordedRandomCrop,
                                  RecordedRandomFlip,
                                  RecordedRandomResizedCrop)

__all__ = ['TeacherCacheDataset']

# random transforms of a training pipeline -> their recorded versions
RECORDED = {
    'RandomCrop': RecordedRandomCrop,
    'RandomFlip': RecordedRandomFlip,
    'RandomResizedCrop': RecordedRandomResizedCrop,
}
# transforms that draw nothing at random: the same view without a record
DETERMINISTIC = ('LoadImageFromFile', 'PackInputs', 'PackCRDInputs',
                 'ResizeEdge', 'Resize', 'CenterCrop')


def _type_name(transform: dict) -> str:
    name = transform.get('type')
    return name.split('.')[-1] if isinstance(name, str) else \
        getattr(name, '__name__', str(name))


@DATASETS.register_module()
class TeacherCacheDataset:
    """Replay the views and the teacher outputs of a teacher cache.

    Wrap the training dataset of a distillation config to train from a
    teacher cache (``tools/cache_teacher.py``, see ``docs/teacher_cache.md``)
    instead of running the teacher: sample ``i`` of epoch ``e`` is the view
    the teacher saw, the recorded crop box and flip of ``(e, i)`` applied by
    the pipeline's own transforms, and its data sample carries the
    teacher's outputs on that view (metainfo ``teacher_outputs``:
    recorder name -> float32 array, or a tuple of them) for
    :class:`~mmkd_plus.models.algorithms.CachedTeacherDistill`, and
    ``teacher_cache_index`` = ``(cache epoch, i)``.

    The wrapped pipeline's ``RandomCrop``, ``RandomFlip`` and
    ``RandomResizedCrop`` become ``RecordedRandomCrop``,
    ``RecordedRandomFlip`` and ``RecordedRandomResizedCrop``
    (:mod:`mmkd_plus.datasets.transforms.recorded`), keyed
    ``view_<position in the pipeline>``; any other
    transform must draw nothing at random (``LoadImageFromFile``,
    ``PackInputs``, ``PackCRDInputs``, ``ResizeEdge``, ``Resize``,
    ``CenterCrop``), else the dataset refuses it: the student would see
    views the teacher never saw.

    The dataset is indexed by ``(epoch, index)`` pairs, which
    :class:`~mmkd_plus.datasets.EpochTaggedSampler` yields (it carries the
    epoch into dataloader workers, persistent ones included).
    :class:`~mmkd_plus.engine.hooks.TeacherCacheHook` opens the cache before
    training, after checking that it matches the config. Training epoch
    ``e`` reads cache epoch ``e``; past the cached epochs it stops, unless
    ``cyclic_epochs`` reuses them (epoch ``e`` reads ``e mod E``).

    Args:
        dataset (dict): The config of the dataset to wrap (a dataset or a
            wrapper with a ``dataset`` key, e.g. ``CRDDatasetWrapper``; the
            innermost ``pipeline`` is the one replayed).
        cache_dir (str, optional): The cache. None (the default):
            ``<work_dir>/teacher_cache``, so ``--cfg-options work_dir=...``
            moves the run and its cache together. ``tools/cache_teacher.py``
            writes where this key says.
        cyclic_epochs (bool): Train past the cached epochs by reusing them
            cyclically (a warning says so once). Defaults to False: an
            error names ``--epochs``.
        topk (dict, optional): ``{teacher recorder name: k}``: store only
            the k largest logits of those recorders, the others' mass
            spread uniformly at the temperature of the loss that reads
            them (see ``docs/teacher_cache.md``); e.g. ``--cfg-options
            train_dataloader.dataset.topk.fc=10``. Defaults to None, as
            ``{}``: every output in full, float16. Read by
            ``tools/cache_teacher.py`` and checked against the cache.
        **dataset_kwargs: Other keys update the wrapped dataset's config
            (``--cfg-options train_dataloader.dataset.data_root=...`` or
            ``.indices=...`` reach it).
    """

    def __init__(self,
                 dataset: dict,
                 cache_dir: Optional[str] = None,
                 cyclic_epochs: bool = False,
                 topk: Optional[Dict[str, int]] = None,
                 **dataset_kwargs) -> None:
        if not isinstance(dataset, dict):
            raise TypeError(
                'TeacherCacheDataset wraps the config of a dataset '
                f'(train_dataloader.dataset.dataset), got {type(dataset)}.')
        dataset = copy.deepcopy(dataset)
        dataset.update(dataset_kwargs)
        node, path = dataset, 'dataset'
        while 'pipeline' not in node:
            if not isinstance(node.get('dataset'), dict):
                raise ValueError(
                    'TeacherCacheDataset: train_dataloader.'
                    f'{path} has no pipeline to replay.')
            node, path = node['dataset'], f'{path}.dataset'
        self.pipeline_key = f'train_dataloader.dataset.{path}.pipeline'
        self.pipeline_cfg = copy.deepcopy(list(node['pipeline']))
        # (key, transform type, parameter names) of the recorded transforms
        self.views = []
        recorded = []
        for i, transform in enumerate(self.pipeline_cfg):
            name = _type_name(transform)
            if name in RECORDED:
                cls = RECORDED[name]
                key = f'view_{i}'
                recorded.append(dict(transform, type=cls, replay_key=key))
                self.views.append((key, name, cls.PARAMS))
            elif name in DETERMINISTIC:
                recorded.append(transform)
            else:
                raise ValueError(
                    f'{self.pipeline_key}[{i}] ({name}) cannot be replayed '
                    'from a teacher cache: the cache records the parameters '
                    f'of {sorted(RECORDED)} only, and the other transforms '
                    f'must draw nothing at random ({", ".join(DETERMINISTIC)}'
                    '). Remove it from the pipeline, or train with the '
                    'online config (a real teacher).')
        node['pipeline'] = recorded
        for key, value in (topk or {}).items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'train_dataloader.dataset.topk.{key}={value!r}: k must '
                    'be a positive integer.')
        self.topk = dict(topk or {})
        self.cache_dir = cache_dir
        self.cyclic_epochs = bool(cyclic_epochs)
        self.dataset = DATASETS.build(dataset)
        self.cache: Optional[TeacherCache] = None

    # -- the wrapped dataset ------------------------------------------------
    @property
    def metainfo(self) -> dict:
        """The meta information of the wrapped dataset (a copy)."""
        return copy.deepcopy(self.dataset.metainfo)

    @property
    def pipeline(self):
        """The wrapped dataset's pipeline (with the recorded transforms)."""
        return self.dataset.pipeline

    def full_init(self) -> None:
        """Initialise the wrapped dataset."""
        self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's data info of sample ``idx``."""
        return self.dataset.get_data_info(idx)

    # -- the cache ----------------------------------------------------------
    def open(self, cache: TeacherCache) -> None:
        """Read views and teacher outputs from ``cache`` (checked by
        :class:`~mmkd_plus.engine.hooks.TeacherCacheHook`)."""
        self.cache = cache

    def cache_epoch(self, epoch: int) -> int:
        """The cache epoch that training epoch ``epoch`` replays
        (``epoch mod E`` past the E cached epochs with ``cyclic_epochs``,
        which :class:`~mmkd_plus.engine.hooks.TeacherCacheHook` warns of).

        Raises:
            ValueError: Past the cached epochs without ``cyclic_epochs``.
        """
        epochs = self.cache.epochs
        if epoch < epochs:
            return epoch
        if not self.cyclic_epochs:
            raise ValueError(
                f'Training epoch {epoch} is past the {epochs} epochs of the '
                f'teacher cache {self.cache.root!r}: build more with '
                f'tools/cache_teacher.py --epochs N, or set '
                'train_dataloader.dataset.cyclic_epochs=True to reuse the '
                'cached epochs cyclically.')
        return epoch % epochs

    def __getitem__(self, index: Tuple[int, int]) -> Any:
        if not isinstance(index, (tuple, list)) or len(index) != 2:
            raise TypeError(
                'TeacherCacheDataset is indexed by (epoch, index) pairs, got '
                f'{index!r}: set train_dataloader.sampler.type='
                "'EpochTaggedSampler'.")
        if self.cache is None:
            raise RuntimeError(
                'TeacherCacheDataset: no teacher cache is open; '
                "custom_hooks needs dict(type='TeacherCacheHook'), which "
                'opens it before training.')
        epoch, idx = (int(v) for v in index)
        epoch = self.cache_epoch(epoch)
        views, outputs = self.cache.read(epoch, idx)
        data = self._view(idx, {REPLAY_KEY: views})
        data['data_samples'].set_metainfo(
            dict(teacher_outputs=outputs, teacher_cache_index=(epoch, idx)))
        return data

    def record_view(self, epoch: int, idx: int, seed: int) -> Any:
        """A new random view of sample ``idx`` for cache epoch ``epoch``,
        with the parameters that made it (for ``tools/cache_teacher.py``).

        The random generators (NumPy's and Python's) are seeded from
        ``(seed, epoch, idx)``, so a view does not depend on which process
        makes it or when: an interrupted build resumes with the same views.

        Returns:
            dict: The packed view; its data sample's metainfo has
            ``teacher_cache_index`` = ``(epoch, idx)`` and
            ``teacher_cache_view`` = ``{view key: int32 array}``.
        """
        state = np.random.SeedSequence([seed, epoch, idx]).generate_state(2)
        np.random.seed(int(state[0]))
        random.seed(int(state[1]))
        record: dict = {}
        data = self._view(idx, {RECORD_KEY: record})
        missing = [key for key, _, _ in self.views if key not in record]
        if missing:
            raise RuntimeError(f'the pipeline recorded nothing for {missing}.')
        data['data_samples'].set_metainfo(
            dict(teacher_cache_view=record, teacher_cache_index=(epoch, idx)))
        return data

    def _view(self, idx: int, extra: dict) -> Any:
        info = self.dataset.get_data_info(idx)
        info.update(extra)
        data = self.dataset.pipeline(info)
        if data is None:
            raise RuntimeError(
                f'the training pipeline returned None for sample {idx}.')
        return data

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(cache_dir={self.cache_dir!r}, '
                f'cyclic_epochs={self.cyclic_epochs}, '
                f'dataset={type(self.dataset).__name__}, len={len(self)})')
