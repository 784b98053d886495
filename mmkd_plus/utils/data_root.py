# Copyright (c) OpenMMLab. All rights reserved.
"""``data_root`` on the command line, reaching every dataloader."""
from typing import Any, Dict, Optional

__all__ = ['set_data_root', 'merge_cfg_options']

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _replace_root(node: Any, old: Optional[str], new: str) -> int:
    count = 0
    if isinstance(node, dict):
        for k, v in node.items():
            if k == 'data_root' and isinstance(v, str) and (
                    old is None or v == old):
                node[k] = new
                count += 1
            else:
                count += _replace_root(v, old, new)
    elif isinstance(node, (list, tuple)):
        for v in node:
            count += _replace_root(v, old, new)
    return count


def set_data_root(cfg, new_root: str,
                  old_root: Optional[str] = None) -> int:
    """Point every dataloader that read ``old_root`` at ``new_root``.

    MMEngine resolves ``data_root=data_root`` in a dataset base when the
    file is parsed, so ``--cfg-options data_root=X`` alone changes the
    top-level key and none of the loaders. This sets the top-level key and
    every ``data_root`` in the dataloaders (wrapped datasets included) that
    held the old top-level value (every one when ``old_root`` is None).

    Returns:
        int: How many loader entries changed.
    """
    cfg.data_root = new_root
    count = 0
    for name in _LOADERS:
        loader = cfg.get(name)
        if isinstance(loader, dict):
            count += _replace_root(loader, old_root, new_root)
    return count


def merge_cfg_options(cfg, options: Optional[Dict[str, Any]]) -> None:
    """``cfg.merge_from_dict(options)``, with ``data_root`` reaching the
    dataloaders (see :func:`set_data_root`)."""
    if not options:
        return
    options = dict(options)
    old_root = cfg.get('data_root')
    new_root = options.pop('data_root', None)
    if new_root is not None:
        set_data_root(cfg, str(new_root), old_root)
    if options:
        cfg.merge_from_dict(options)
