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
import re
from typing import Any, Mapping, Optional

__all__ = [
    'PREFIX', 'config_root', 'resolve_cfg_path', 'network_config',
    'checkpoint_recipe', 'runner_model_config'
]

#: The prefix of a config of mmkd_plus.
PREFIX = 'mmkd_plus::'

#: torchvision's ImageNet weights (``IMAGENET1K_V1``) of the ResNets that
#: ``tools/model_converters/torchvision_resnet_to_mmpretrain.py`` converts.
TORCHVISION_RESNETS = {
    'resnet18': 'resnet18-f37072fd.pth',
    'resnet34': 'resnet34-b627a593.pth',
    'resnet50': 'resnet50-0676ba61.pth',
}


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


def runner_model_config(cfg: Any, **overrides) -> Any:
    """A copy of ``cfg.model`` as MMEngine's ``Runner`` builds it.

    The ``Runner`` gives the model the config's top-level
    ``data_preprocessor`` (where the dataset bases define normalisation)
    unless the model has one of its own; a tool that builds the model
    itself must do the same, or it feeds the networks unnormalised images.

    Args:
        cfg (Config): A whole config.
        **overrides: Keys of the model to set (e.g. ``teacher_ckpt=None``).

    Returns:
        ConfigDict: The model's config, ready for ``MODELS.build``.
    """
    model = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model.setdefault('data_preprocessor',
                         copy.deepcopy(cfg.data_preprocessor))
    model.update(overrides)
    return model


def checkpoint_recipe(cfg_path: Optional[str], path: str) -> str:
    """How to make the missing checkpoint ``path`` of the network defined
    by ``cfg_path``: the command that trains it (a config of mmkd_plus that
    trains a network) or converts it (an ImageNet network, whose weights
    come from torchvision or mmpretrain).

    Args:
        cfg_path (str, optional): The network's ``cfg_path`` (e.g.
            ``'mmkd_plus::teachers/resnet20_1xb64_digits.py'``); None for
            a network written out in the config.
        path (str): The checkpoint file that is missing.

    Returns:
        str: One sentence, starting with a capital, without a full stop.
    """
    if not isinstance(cfg_path, str) or '::' not in cfg_path:
        return ('Train the teacher first (the config whose model is '
                'model.teacher)')
    scope, rel = cfg_path.split('::', 1)
    name = osp.splitext(osp.basename(rel))[0]
    if scope + '::' == PREFIX and not rel.startswith('_base_/'):
        folder = f'work_dirs/{name}/'
        where = '' if path.replace('\\', '/').startswith(folder) else (
            f' (it writes its checkpoints to {folder})')
        return f'Train it first: `python tools/train.py configs/{rel}`{where}'
    arch = re.match(r'resnet\d+', name)
    if arch and arch.group(0) in TORCHVISION_RESNETS:
        arch = arch.group(0)
        return ('Convert torchvision\'s ImageNet weights of ' + arch +
                ' with `python tools/model_converters/'
                'torchvision_resnet_to_mmpretrain.py '
                f'{TORCHVISION_RESNETS[arch]} {path}`, or put mmpretrain\'s '
                f'checkpoint of resnet/{arch}_8xb32_in1k.py there')
    if scope == 'mmpretrain':
        return (f'Put mmpretrain\'s checkpoint of {rel} there (its model '
                'zoo lists it)')
    return f'Put an ImageNet checkpoint of the network of {cfg_path} there'
