# Copyright (c) OpenMMLab. All rights reserved.
"""Open and check a run's teacher cache before it trains."""
import logging
import os.path as osp

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmkd_plus.registry import HOOKS

__all__ = ['TeacherCacheHook', 'default_cache_dir', 'build_command']


def default_cache_dir(cfg, dataset) -> str:
    """The cache of a run: ``train_dataloader.dataset.cache_dir``, else
    ``<work_dir>/teacher_cache``."""
    return dataset.cache_dir or osp.join(cfg.work_dir, 'teacher_cache')


def build_command(cfg, epochs: int, dataset) -> str:
    """The ``tools/cache_teacher.py`` command that builds the cache of a
    run (its other ``--cfg-options``, e.g. ``data_root``, to be added)."""
    config = getattr(cfg, 'filename', None) or 'CONFIG'
    if osp.isabs(config) and osp.abspath(config).startswith(
            osp.abspath('.') + osp.sep):
        config = osp.relpath(config)
    where = f'--work-dir {cfg.work_dir}' if dataset.cache_dir is None else \
        f'--cfg-options train_dataloader.dataset.cache_dir={dataset.cache_dir}'
    return (f'python tools/cache_teacher.py {config} --epochs {epochs} '
            f'{where} (with the other --cfg-options of this run)')


@HOOKS.register_module()
class TeacherCacheHook(Hook):
    """Check a teacher cache against the config and open it for training.

    Before training (``before_train``, on every rank) the hook finds the
    cache (``train_dataloader.dataset.cache_dir``, by default
    ``<work_dir>/teacher_cache``), and stops with one error when

    - it has no manifest, or a file of an epoch the run reads is missing,
      truncated or not fully written: the error names the file and the
      command that builds the cache (an interrupted build resumes);
    - the manifest does not match the config: another teacher checkpoint
      (by SHA-256), teacher network, recorded outputs, data preprocessor,
      training pipeline, number of samples, seed or top-k storage; the
      error lists every difference with the config key that sets it;
    - the run has more epochs (``train_cfg.max_epochs``) than the cache,
      unless ``train_dataloader.dataset.cyclic_epochs=True`` reuses them
      (a warning says so once).

    Then it hands the cache to the dataset
    (:class:`~mmkd_plus.datasets.TeacherCacheDataset`), whose dataloader
    workers map its files. The model must be
    :class:`~mmkd_plus.models.algorithms.CachedTeacherDistill` and the
    sampler :class:`~mmkd_plus.datasets.EpochTaggedSampler`.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Check the cache and open it."""
        from mmkd_plus.datasets import EpochTaggedSampler, TeacherCacheDataset
        from mmkd_plus.datasets.teacher_cache import (TeacherCache,
                                                      config_mismatches,
                                                      describe_config)
        from mmkd_plus.models.algorithms import CachedTeacherDistill
        loader = runner.train_dataloader
        dataset = loader.dataset
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        if not isinstance(dataset, TeacherCacheDataset):
            raise TypeError(
                'TeacherCacheHook trains from a teacher cache: '
                "train_dataloader.dataset.type must be 'TeacherCacheDataset'"
                f', got {type(dataset).__name__}.')
        if not isinstance(model, CachedTeacherDistill):
            raise TypeError(
                'TeacherCacheHook: the data come from a teacher cache, so '
                "model.type must be 'CachedTeacherDistill' (got "
                f'{type(model).__name__}, which would run a teacher).')
        if not isinstance(loader.sampler, EpochTaggedSampler):
            raise TypeError(
                "train_dataloader.sampler.type must be 'EpochTaggedSampler' "
                'to train from a teacher cache (it carries the epoch to '
                f'the dataset), got {type(loader.sampler).__name__}.')
        cfg = runner.cfg
        max_epochs = getattr(runner.train_loop, 'max_epochs', None)
        if max_epochs is None:
            raise TypeError(
                'A teacher cache holds epochs: train by epoch '
                '(train_cfg.by_epoch=True, train_cfg.max_epochs).')
        cache = TeacherCache(
            default_cache_dir(cfg, dataset),
            build_command=build_command(cfg, max_epochs, dataset))
        manifest = cache.manifest
        # the manifest's own build command names the files' rebuild
        cache.build_command = manifest.get('build_command') or \
            cache.build_command
        mismatches = config_mismatches(
            manifest['config'], describe_config(cfg, dataset),
            dataset.pipeline_key)
        if mismatches:
            raise ValueError(
                f'The teacher cache {osp.abspath(cache.root)!r} was built '
                'for another config:\n  - ' + '\n  - '.join(mismatches) +
                '\nFix those keys, point train_dataloader.dataset.cache_dir '
                'at a cache built for this config, or build one: '
                f'{build_command(cfg, max_epochs, dataset)}.')
        epochs = cache.epochs
        if max_epochs > epochs and not dataset.cyclic_epochs:
            raise ValueError(
                f'train_cfg.max_epochs={max_epochs}, but the teacher cache '
                f'{osp.abspath(cache.root)!r} holds {epochs} epochs. Build '
                f'the others (--epochs {max_epochs}): '
                f'{build_command(cfg, max_epochs, dataset)}; or set '
                'train_dataloader.dataset.cyclic_epochs=True to reuse the '
                'cached epochs cyclically.')
        cache.check(min(epochs, max_epochs))
        if max_epochs > epochs:
            print_log(
                f'train_cfg.max_epochs={max_epochs} on a teacher cache of '
                f'{epochs} epochs: epoch e replays cached epoch e mod '
                f'{epochs} (train_dataloader.dataset.cyclic_epochs=True).',
                logger='current',
                level=logging.WARNING)
        dataset.open(cache)
