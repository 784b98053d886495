# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers for config tests: point a CIFAR config at the bundled digits.

The test modules of this folder import them as ``zoo_test_utils`` (pytest
puts the folder on ``sys.path``); ``conftest.py`` here wraps them as the
``digits_cfg`` fixture.
"""
import copy
import functools
import glob
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config, ConfigDict

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs')
MODELS_DIR = osp.join(CONFIGS, '_base_', 'models')
TEACHERS_DIR = osp.join(CONFIGS, 'teachers')

DIGITS_CLASSES = 10


def zoo_models() -> List[str]:
    """Names of the zoo networks: ``configs/_base_/models/<name>_cifar.py``."""
    return sorted(
        osp.basename(p)[:-len('_cifar.py')]
        for p in glob.glob(osp.join(MODELS_DIR, '*_cifar.py')))


def leaf_paths() -> Dict[str, str]:
    """Every leaf config (not a ``_base_`` file), keyed by repo-relative
    path."""
    paths = glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    return {
        osp.relpath(p, REPO): p
        for p in sorted(paths)
        if '_base_' not in osp.relpath(p, CONFIGS).split(osp.sep)
        and not osp.basename(p).startswith('_base_')
    }


@functools.lru_cache(maxsize=None)
def load_leaves() -> Dict[str, Config]:
    """Every leaf config, loaded once per process (~200 files)."""
    return {rel: Config.fromfile(p) for rel, p in leaf_paths().items()}


def teacher_config_name(cfg_path: str) -> Optional[Tuple[str, str]]:
    """``'mmkd_plus::teachers/wrn_40_2_1xb64_cifar100.py'`` -> ``('wrn_40_2',
    'cifar100')``; None for a network that is not a teacher config."""
    prefix = 'mmkd_plus::teachers/'
    if not str(cfg_path).startswith(prefix):
        return None
    stem = cfg_path[len(prefix):-len('.py')]
    net, _, data = stem.rpartition('_')
    return net.rsplit('_', 1)[0], data


def without_pipeline_step(pipeline: list, step_type: str) -> list:
    """A copy of ``pipeline`` without the transforms of type ``step_type``."""
    return [
        copy.deepcopy(t) for t in pipeline
        if not str(t.get('type', '')).endswith(step_type)
    ]


def retarget_to_digits(cfg: Config,
                       digits_root: str,
                       work_dir: str,
                       batch_size: int = 4,
                       max_iters: int = 1,
                       num_classes: int = DIGITS_CLASSES) -> Config:
    """Point a CIFAR-100 training config at the digits, for a short run.

    In place and returned: the train set becomes the digits (train split,
    with the config's own train pipeline minus ``RandomFlip``; no workers),
    the classifier gets ``num_classes`` outputs (``model.head`` of a plain
    classifier; ``model.architecture.head`` and ``model.teacher.head`` of a
    distillation model, merged on top of a network given by ``cfg_path``),
    training is iteration based for ``max_iters``
    iterations, with no validation, checkpoints or visualizer backends, and
    ``work_dir`` is set.

    Args:
        cfg (Config): A config loaded with ``Config.fromfile``.
        digits_root (str): A folder holding the digits in CIFAR format
            (the ``digits_root`` session fixture).
        work_dir (str): Where the run writes its logs.
        batch_size (int): Train batch size. Defaults to 4.
        max_iters (int): Training iterations. Defaults to 1.
        num_classes (int): Classes of the head. Defaults to 10.

    Returns:
        Config: ``cfg``.
    """
    cfg.train_dataloader.dataset = ConfigDict(
        _scope_='mmpretrain',
        type='DigitsCIFAR',
        data_root=digits_root,
        split='train',
        pipeline=without_pipeline_step(cfg.train_pipeline, 'RandomFlip'),
        # serialising calls gc.collect(), slow in a big test process
        serialize_data=False)
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.batch_size = batch_size
    model = cfg.model
    if 'architecture' in model:
        nets = [model.architecture]
        if 'teacher' in model and isinstance(model.teacher, dict):
            nets.append(model.teacher)
    else:
        nets = [model]
    for net in nets:
        if 'head' in net:
            net.head.num_classes = num_classes
        else:  # a network by cfg_path: merged on top of its config's
            net.head = dict(num_classes=num_classes)
    if cfg.get('data_preprocessor') is not None:
        cfg.data_preprocessor.num_classes = num_classes
    cfg.train_cfg = ConfigDict(
        by_epoch=False, max_iters=max_iters, val_interval=1000)
    cfg.val_dataloader = None
    cfg.val_cfg = None
    cfg.val_evaluator = None
    cfg.test_dataloader = None
    cfg.test_cfg = None
    cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    # no vis backend: one config dump fewer (yapf formats it, ~0.2 s)
    cfg.visualizer = None
    cfg.work_dir = work_dir
    return cfg


def point_digits_config_at(cfg: Config, digits_root: str,
                           work_dir: str) -> Config:
    """Set every dataloader of a digits config to ``digits_root``."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key) is not None:
            cfg[key].dataset.data_root = digits_root
    cfg.work_dir = work_dir
    return cfg
