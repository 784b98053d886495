# Copyright (c) OpenMMLab. All rights reserved.
"""Misspelt names in configs, answered with the config key and the fix.

A misspelt registry ``type`` or a misspelt argument of a component built
from a config ends, upstream, in a raw ``KeyError``/``TypeError`` from deep
inside MMEngine or MMRazor. :func:`call_explained` runs a build (or a
Runner's step) and turns those into one message naming the config key and
the closest registered names / accepted arguments. Used by
:class:`~mmkd_plus.models.algorithms.CheckedSingleTeacherDistill` and
``tools/``.
"""
import difflib
import inspect
import re
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional

__all__ = [
    'explain_unknown_type', 'explain_unknown_argument', 'call_explained',
    'accepted_arguments', 'registered_names', 'find_type_keys'
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
    names: Dict[str, str] = {}
    for reg, is_root in _family(registry):
        plain = is_root or reg.scope == scope
        for name in reg.module_dict:
            if plain or name not in names:
                names[name] = name if plain else f'{reg.scope}.{name}'
    return names


def _family(registry) -> Iterator[tuple]:
    """``(registry, is_root)`` for the root of ``registry``'s family and
    every registry below it, depth first."""
    root = registry
    while getattr(root, 'parent', None) is not None:
        root = root.parent
    stack = [root]
    while stack:
        reg = stack.pop()
        yield reg, reg is root
        stack.extend(reg.children.values())


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


def accepted_arguments(obj: Callable) -> List[str]:
    """The keyword arguments ``obj`` (a class or a function) takes.

    A class whose ``__init__`` takes ``**kwargs`` also takes those of the
    next ``__init__`` in its MRO (where such ``kwargs`` usually go).
    """
    owners = [obj]
    if inspect.isclass(obj):
        owners = [
            k for k in obj.__mro__
            if k is not object and '__init__' in vars(k)
        ] or [obj]
    names: List[str] = []
    for owner in owners:
        init = vars(owner)['__init__'] if inspect.isclass(owner) else owner
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            break
        more = False
        for i, param in enumerate(params):
            if param.kind == param.VAR_KEYWORD:
                more = True
            elif param.kind in (param.POSITIONAL_OR_KEYWORD,
                                param.KEYWORD_ONLY) and not (
                                    i == 0 and inspect.isclass(owner)) \
                    and param.name not in names:
                names.append(param.name)
        if not more:
            break
    return names


_UNEXPECTED = re.compile(r"got an unexpected keyword argument '(?P<kw>\w+)'")


def _failed_build(err: BaseException, keyword: str):
    """``(class, registry)`` of the innermost registry build that passed
    ``keyword`` to a class not taking it, from ``err``'s traceback (the
    locals of MMEngine's ``build_from_cfg``), or ``(None, None)``."""
    frames = []
    tb = err.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        if frame.f_code.co_name != 'build_from_cfg':
            continue
        args, obj_cls = frame.f_locals.get('args'), frame.f_locals.get(
            'obj_cls')
        if obj_cls is None or not isinstance(args, Mapping) or \
                keyword not in args:
            continue
        if keyword in accepted_arguments(obj_cls):
            continue  # a valid argument here: the failing call is deeper
        return obj_cls, frame.f_locals.get('registry')
    return None, None


def _names_of(obj: Any, registry) -> List[str]:
    """The names ``obj`` is registered under in ``registry``'s family."""
    names = [getattr(obj, '__name__', '')]
    if registry is not None:
        for reg, _ in _family(registry):
            names += [n for n, v in reg.module_dict.items() if v is obj]
    return names


def _keys_with_argument(cfg: Any, keyword: str, obj: Any,
                        names: List[str], prefix: str) -> Iterator[str]:
    """Dotted keys of the dicts in ``cfg`` holding ``keyword`` whose
    ``type`` is ``obj`` (or a name of it)."""
    if isinstance(cfg, Mapping):
        value = cfg.get('type')
        if keyword in cfg and (value is obj or isinstance(value, str)
                               and value.split('.')[-1] in names):
            yield f'{prefix}.{keyword}' if prefix else keyword
        for k, v in cfg.items():
            yield from _keys_with_argument(
                v, keyword, obj, names, f'{prefix}.{k}' if prefix else str(k))
    elif isinstance(cfg, (list, tuple)):
        for i, v in enumerate(cfg):
            yield from _keys_with_argument(v, keyword, obj, names,
                                           f'{prefix}.{i}')


def explain_unknown_argument(err: BaseException, cfg: Any,
                             prefix: str = '') -> Optional[TypeError]:
    """A clear error for "__init__() got an unexpected keyword argument".

    Only for a component built from a config dict by a registry (a loss,
    connector, hook, dataset, transform, sampler, metric...): the class is
    the one MMEngine's ``build_from_cfg`` was building with that keyword.

    Args:
        err: The exception raised while building.
        cfg: The config (or the part of it) that was being built.
        prefix (str): The dotted key of ``cfg`` in the whole config.

    Returns:
        TypeError | None: The error to raise instead (naming the config
        keys that hold the argument, the class and its closest arguments),
        or None when ``err`` is not such an error of a registry build.
    """
    match = _UNEXPECTED.search(str(err))
    if not isinstance(err, TypeError) or match is None:
        return None
    keyword = match.group('kw')
    obj, registry = _failed_build(err, keyword)
    if obj is None:
        return None
    if not isinstance(cfg, Mapping) and hasattr(cfg, 'to_dict'):
        cfg = cfg.to_dict()  # an mmengine Config
    name = getattr(obj, '__name__', repr(obj))
    keys = list(
        _keys_with_argument(cfg, keyword, obj, _names_of(obj, registry),
                            prefix))
    valid = accepted_arguments(obj)
    close = difflib.get_close_matches(keyword, valid, n=1, cutoff=0.6)
    hint = f' Did you mean {close[0]!r}?' if close else ''
    listing = (f' Its arguments: {", ".join(valid)}.'
               if valid else ' It takes no arguments.')
    what = f'{name} ({getattr(obj, "__module__", "")})'
    if not keys:
        return TypeError(
            f'{what} takes no argument {keyword!r}, and no dict of the config '
            f'with its type holds it (it comes from code or default '
            f'arguments).{hint}{listing}')
    return TypeError(
        f'{", ".join(keys)}: {what} takes no argument {keyword!r}.{hint}'
        f'{listing} Fix the key in the config (or in --cfg-options).')


def call_explained(fn: Callable,
                   cfg: Any,
                   *args,
                   key_prefix: str = '',
                   **kwargs) -> Any:
    """``fn(*args, **kwargs)``; an unknown ``type`` or a misspelt argument
    of a component met while it runs raises :func:`explain_unknown_type`'s
    or :func:`explain_unknown_argument`'s error, naming its key in ``cfg``
    (which sits at ``key_prefix`` in the whole config)."""
    try:
        return fn(*args, **kwargs)
    except (KeyError, TypeError) as err:
        clear = (explain_unknown_type(err, cfg, key_prefix)
                 or explain_unknown_argument(err, cfg, key_prefix))
        if clear is None:
            raise
        raise clear from err
