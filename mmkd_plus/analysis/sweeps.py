# Copyright (c) OpenMMLab. All rights reserved.
"""Config sweeps of the seeds runners: ``--sweep KEY=V1,V2`` grids.

``tools/analysis/compare_baselines.py``, ``mfd_seeds.py`` and
``wcord_lambda_sweep.py`` share them: a sweep is ``{key: [values]}`` (keys in
``--cfg-options`` form; ``K1+K2=(a1,a2),(b1,b2)``: keys that change
together), a point one ``{key: value}`` of its grid.
"""
import itertools
import re
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

from .paths import rel_path

__all__ = [
    'parse_sweep', 'sweep_keys', 'grid_points', 'point_label', 'point_dir',
    'check_sweep_keys'
]


def _split_top_level(text: str) -> List[str]:
    """``text`` split at the commas outside brackets and quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in '\'"':
            quote = char
        elif char in '([{':
            depth += 1
        elif char in ')]}':
            depth -= 1
        elif char == ',' and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_sweep(items: Optional[Sequence[str]]) -> Dict[str, list]:
    """``KEY=V1,V2,...`` items to ``{KEY: [V1, V2, ...]}``.

    Values are parsed as ``--cfg-options`` parses one (numbers, booleans,
    ``None``, ``[lists]``, ``(tuples)``, strings); commas inside brackets
    or quotes do not split. Keys joined by ``+`` change together (one axis
    of the grid, not a product): each value is then a tuple with one item
    per key, e.g. the layer a method distils and its channels,
    ``a.source+a.channels=(layer2,32),(layer3,64)``.

    Raises:
        ValueError: An item is not ``KEY=VALUES``, has an empty value,
            repeats a key, or a joined item's value has the wrong length.
    """
    sweep: Dict[str, list] = {}
    seen: List[str] = []
    for item in items or []:
        key, sep, values = item.partition('=')
        parts = _split_top_level(values)
        keys = key.split('+')
        if not sep or not all(keys) or not values or not all(p.strip()
                                                             for p in parts):
            raise ValueError(f'--sweep {item!r}: expected KEY=V1,V2,... '
                             '(cfg-options keys, no empty value)')
        for k in keys:
            if k in seen:
                raise ValueError(f'--sweep: {k} is given twice')
            seen.append(k)
        parsed = [DictAction._parse_iterable(p.strip()) for p in parts]
        if len(keys) > 1:
            bad = [
                v for v in parsed
                if not isinstance(v, (list, tuple)) or len(v) != len(keys)
            ]
            if bad:
                raise ValueError(
                    f'--sweep {key}: {len(keys)} keys change together, so '
                    f'each value is a tuple of {len(keys)} items, not '
                    f'{bad[0]!r}')
        sweep[key] = parsed
    return sweep


def sweep_keys(sweep: Dict[str, list]) -> List[str]:
    """Every config key a sweep sets (its joined keys apart)."""
    return [k for axis in sweep for k in axis.split('+')]


def grid_points(sweep: Dict[str, list]) -> List[Dict[str, Any]]:
    """The cross product of a sweep's axes, the first slowest, as
    ``{config key: value}``; ``[{}]`` without a sweep."""
    axes = list(sweep)
    points = []
    for values in itertools.product(*(sweep[a] for a in axes)):
        point: Dict[str, Any] = {}
        for axis, value in zip(axes, values):
            keys = axis.split('+')
            point.update(
                zip(keys, value) if len(keys) > 1 else [(axis, value)])
        points.append(point)
    return points


def point_label(point: Dict[str, Any]) -> str:
    """``name=value, ...``: each key by its last part, or whole when
    another key with the same last part has another value; a repeated
    ``name=value`` once."""
    items = list(point.items())
    lasts = [k.split('.')[-1] for k, _ in items]
    parts: List[str] = []
    for (key, value), last in zip(items, lasts):
        clash = any(other == last and v != value
                    for (_, v), other in zip(items, lasts))
        text = f'{key if clash else last}={value}'
        if text not in parts:
            parts.append(text)
    return ', '.join(parts)


def point_dir(index: int, point: Dict[str, Any]) -> str:
    """A work-dir name per grid point: its index and a readable label."""
    label = re.sub(r'[^\w.=+-]+', '_', point_label(point).replace(', ', '_'))
    return f'point{index}_{label}'[:80]


def _has_key(cfg, key: str) -> bool:
    node = cfg
    for part in key.split('.'):
        if isinstance(node, (dict, Config)) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() \
                and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def check_sweep_keys(sweep: Dict[str, list], configs: Sequence[str]) -> None:
    """Every swept key must be a key of every config in ``configs`` (a typo
    would otherwise add a key nothing reads and run the same point twice).

    Raises:
        ValueError: Naming the key and the config.
    """
    for config in configs:
        cfg = Config.fromfile(config)
        for key in sweep_keys(sweep):
            if not _has_key(cfg, key):
                raise ValueError(
                    f'--sweep {key}: {rel_path(config)} has no such key (a '
                    'sweep sets the last stage of each selected method)')
