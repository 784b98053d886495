# Copyright (c) OpenMMLab. All rights reserved.
"""A network given by the config that defines it (``cfg_path``).

MMRazor's distillation configs name their student and teacher by the
config that trains them (``architecture=dict(cfg_path='mmcls::...')``) and
MMEngine's hub resolves the ``mmcls::``/``mmpretrain::`` prefixes. mmkd_plus
does the same for its own configs, which MMEngine's hub does not know:
``dict(cfg_path='mmkd_plus::teachers/resnet8x4_1xb64_cifar100.py')`` is the
``model`` of that config, read from the configs installed with the package
(``mmkd_plus/.mim/configs``, or the checkout's ``configs/``). Every other key
of the dict is merged on top of it, so ``--cfg-options
model.teacher.head.num_classes=10`` still reaches the network.
"""
import copy
import os.path as osp
from typing import Any, Mapping

__all__ = ['PREFIX', 'config_root', 'resolve_cfg_path', 'network_config']

#: The prefix of a config of mmkd_plus.
PREFIX = 'mmkd_plus::'


def config_root() -> str:
    """The folder of mmkd_plus's configs: the installed copy
    (``mmkd_plus/.mim/configs``) or, in a source tree, ``configs/``."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    installed = osp.join(package, '.mim', 'configs')
    if osp.isdir(installed):
        return installed
    return osp.join(osp.dirname(package), 'configs')


def resolve_cfg_path(cfg_path: str, key: str = 'cfg_path') -> str:
    """The file of an ``mmkd_plus::`` config path.

    Raises:
        FileNotFoundError: The config does not exist; names ``key``.
    """
    path = osp.join(config_root(), cfg_path[len(PREFIX):])
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{key}={cfg_path!r}: no such config of mmkd_plus ({path}). '
            f'Paths after {PREFIX!r} are relative to the configs folder, e.g. '
            f"'{PREFIX}teachers/resnet8x4_1xb64_cifar100.py'.")
    return path


def _load(cfg_path: str, key: str):
    from mmengine.config import Config
    if cfg_path.startswith(PREFIX):
        return Config.fromfile(resolve_cfg_path(cfg_path, key))
    if '::' in cfg_path:  # an OpenMMLab package's config (mmpretrain::...)
        from mmengine.hub import get_config
        return get_config(cfg_path)
    raise ValueError(
        f'{key}={cfg_path!r}: give a config of mmkd_plus '
        f"('{PREFIX}<path under configs/>') or of an OpenMMLab package "
        "('mmpretrain::resnet/resnet34_8xb32_in1k.py').")


def network_config(cfg: Any, key: str = 'model.architecture') -> Any:
    """``cfg`` with its ``cfg_path`` replaced by that config's ``model``.

    A dict without ``cfg_path`` (or a built module) is returned as it is.

    Args:
        cfg (dict | Any): A network config, e.g. ``model.teacher``.
        key (str): Its config key, named in errors.

    Returns:
        dict: The ``model`` of the config at ``cfg_path`` (in that config's
        ``default_scope`` unless it names a ``_scope_``), with the other
        keys of ``cfg`` merged on top.

    Raises:
        ValueError: ``pretrained=True`` (weights are never downloaded: the
            checkpoint is a config key of its own) or an unknown prefix.
    """
    if not isinstance(cfg, Mapping) or 'cfg_path' not in cfg:
        return cfg
    from mmengine.config import Config, ConfigDict
    overrides = copy.deepcopy(dict(cfg))
    cfg_path = overrides.pop('cfg_path')
    if overrides.pop('pretrained', False):
        raise ValueError(
            f'{key}.pretrained=True: mmkd_plus never downloads weights. '
            'Give the checkpoint file with its own key (model.teacher_ckpt '
            'for the teacher, load_from for the student) and remove '
            f'{key}.pretrained.')
    loaded = _load(cfg_path, f'{key}.cfg_path')
    model = loaded.model.to_dict() if hasattr(loaded.model, 'to_dict') \
        else copy.deepcopy(dict(loaded.model))
    model.setdefault('_scope_', loaded.get('default_scope') or 'mmpretrain')
    return ConfigDict(Config._merge_a_into_b(overrides, model))
