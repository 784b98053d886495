# Copyright (c) OpenMMLab. All rights reserved.
"""Checks of user input that turn upstream tracebacks into one message.

Each function here answers one kind of bad input that otherwise ends in a
raw traceback from deep inside PyTorch, MMEngine or MMRazor: a misspelt
registry ``type``, a loss that is not finite, and a ``data_root`` given on
the command line (checkpoint files: :mod:`mmkd_plus.utils.checkpoint`).
The message names the problem, the config key and the fix. They are used by
:class:`~mmkd_plus.models.algorithms.CheckedSingleTeacherDistill`,
:class:`~mmkd_plus.engine.hooks.CheckFiniteLossHook` and ``tools/``.
"""
import difflib
import re
from typing import (Any, Callable, Dict, Iterator, List, Mapping, Optional,
                    Tuple)

import torch

__all__ = [
    'explain_unknown_type', 'call_explained',
    'registered_names', 'find_type_keys', 'non_finite_loss_message',
    'check_finite_losses', 'set_data_root', 'merge_cfg_options'
]


def registered_names(registry,
                     scope: Optional[str] = None) -> Dict[str, str]:
    """Every name registered in ``registry``'s family (root and children).

    Returns:
        dict: Each name mapped to how a config in ``registry``'s scope
        writes it: plain for the root and the scope itself, ``scope.Name``
        for a sibling scope's.

    Args:
        registry: A registry of the family.
        scope (str, optional): The scope the config builds in. Defaults
            to ``registry.scope``.
    """
    scope = scope or registry.scope
    root = registry
    while getattr(root, 'parent', None) is not None:
        root = root.parent
    names: Dict[str, str] = {}
    stack = [root]
    while stack:
        reg = stack.pop()
        plain = reg is root or reg.scope == scope
        for name in reg.module_dict:
            if plain or name not in names:
                names[name] = name if plain else f'{reg.scope}.{name}'
        stack.extend(reg.children.values())
    return names


def _registry_by_name(name: str):
    import mmengine.registry as mmengine_registry
    for value in vars(mmengine_registry).values():
        if getattr(value, 'name', None) == name and hasattr(
                value, 'module_dict'):
            return value
    return None


def find_type_keys(cfg: Any, type_name: str,
                   prefix: str = '') -> Iterator[str]:
    """Config keys (dotted) whose ``type`` is ``type_name``."""
    if isinstance(cfg, Mapping):
        value = cfg.get('type')
        if isinstance(value, str) and value.split('.')[-1] == \
                type_name.split('.')[-1]:
            yield f'{prefix}.type' if prefix else 'type'
        for k, v in cfg.items():
            yield from find_type_keys(v, type_name,
                                      f'{prefix}.{k}' if prefix else str(k))
    elif isinstance(cfg, (list, tuple)):
        for i, v in enumerate(cfg):
            yield from find_type_keys(v, type_name, f'{prefix}.{i}')


_UNKNOWN = re.compile(
    r'^(?P<type>\S+) is not in the (?:(?P<scope>[\w.]+)::)?(?P<name>[\w ]+?) '
    r'registry')


def explain_unknown_type(err: BaseException, cfg: Any,
                         prefix: str = '') -> Optional[ValueError]:
    """A clear error for MMEngine's "X is not in the ... registry".

    Args:
        err: The exception raised by a registry build.
        cfg: The config (or the part of it) that was being built.
        prefix (str): The dotted key of ``cfg`` in the whole config.

    Returns:
        ValueError | None: The error to raise instead (naming the config
        key, the registry and the closest registered names), or None when
        ``err`` is not an unknown-type error.
    """
    text = str(err.args[0]) if err.args else ''
    match = _UNKNOWN.search(text)
    if not isinstance(err, KeyError) or match is None:
        return None
    type_name, reg_name = match.group('type'), match.group('name')
    if not isinstance(cfg, Mapping) and hasattr(cfg, 'to_dict'):
        cfg = cfg.to_dict()  # an mmengine Config
    keys = list(find_type_keys(cfg, type_name, prefix))
    where = (', '.join(f'{k}={type_name!r}' for k in keys[:3])
             if keys else f'type={type_name!r}')
    registry = _registry_by_name(reg_name)
    close: List[str] = []
    if registry is not None:
        pool = registered_names(registry, match.group('scope'))
        short = type_name.split('.')[-1]
        close = [
            pool[n] for n in difflib.get_close_matches(
                short, list(pool), n=5, cutoff=0.6)
        ]
    hint = (f' Closest registered names: {close}.'
            if close else ' No registered name is close to it.')
    return ValueError(
        f'{where}: {type_name!r} is not a registered {reg_name} type.{hint} '
        'Fix the spelling, or import the module that registers it '
        "(custom_imports = dict(imports=['mmkd_plus', ...])).")


def call_explained(fn: Callable,
                   cfg: Any,
                   *args,
                   key_prefix: str = '',
                   **kwargs) -> Any:
    """``fn(*args, **kwargs)``; an unknown ``type`` met while it runs raises
    :func:`explain_unknown_type`'s error, naming its key in ``cfg`` (which
    sits at ``key_prefix`` in the whole config)."""
    try:
        return fn(*args, **kwargs)
    except KeyError as err:
        clear = explain_unknown_type(err, cfg, key_prefix)
        if clear is None:
            raise
        raise clear from err


def non_finite_loss_message(bad: List[str],
                            iteration: Optional[int] = None,
                            lr: Optional[float] = None) -> str:
    """The one message for a NaN/Inf loss, in a distiller or plain run."""
    at = f' at iteration {iteration}' if iteration is not None else ''
    lr_now = f'={lr:g}' if lr is not None else ''
    return (f'Non-finite loss{at}: {bad}. Lower the learning rate '
            f'(optim_wrapper.optimizer.lr{lr_now}) or the loss weights, or '
            'check the inputs (a NaN in the data) and, for a distillation, '
            'the teacher. Training stopped; no checkpoint of this iteration '
            'was saved.')


def _current_lr() -> Optional[float]:
    from mmengine.logging import MessageHub
    hub = MessageHub.get_current_instance()
    scalar = hub.log_scalars.get('train/lr')
    if scalar is None:
        return None
    return float(scalar.current())


def check_finite_losses(losses: Mapping[str, Any]) -> None:
    """Raise ``FloatingPointError`` if a loss in ``losses`` is not finite.

    Only entries whose name contains ``loss`` (what MMEngine sums) count.
    """
    items: List[Tuple[str, torch.Tensor]] = [
        (k, v) for k, v in losses.items()
        if 'loss' in k and isinstance(v, torch.Tensor)
    ]
    if not items:
        return
    sums = torch.stack([v.detach().float().sum() for _, v in items])
    finite = torch.isfinite(sums)
    if bool(finite.all()):
        return
    from mmengine.logging import MessageHub
    bad = [k for (k, _), ok in zip(items, finite.tolist()) if not ok]
    it = MessageHub.get_current_instance().get_info('iter')
    raise FloatingPointError(non_finite_loss_message(bad, it, _current_lr()))


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
