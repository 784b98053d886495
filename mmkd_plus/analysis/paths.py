# Copyright (c) OpenMMLab. All rights reserved.
"""Where the analysis tools find configs and model-index.yml, and how they
name configs in their tables."""
import os
import os.path as osp

from mmkd_plus.utils.network_config import config_root

__all__ = ['PROJECT', 'MODEL_INDEX', 'config_name', 'rel_path']

#: The folder holding configs/, tools/ and model-index.yml: the checkout,
#: or ``mmkd_plus/.mim`` of an installed package.
PROJECT = osp.dirname(osp.realpath(config_root()))
MODEL_INDEX = osp.join(PROJECT, 'model-index.yml')


def config_name(config: str) -> str:
    """A config's file name without ``.py``."""
    return osp.splitext(osp.basename(config))[0]


def rel_path(path: str) -> str:
    """``path`` relative to :data:`PROJECT` when it lies inside it."""
    inside = osp.abspath(path).startswith(PROJECT + os.sep)
    return osp.relpath(path, PROJECT) if inside else path
