# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Train the distillation methods on the digits with several seeds; write a
mean ± std table and a bar chart.

What runs comes from model-index.yml: every metafile model with a result on
the Digits and a teacher in its metadata, its config, and the teacher and
vanilla student configs its metadata names. A method is named by its
collection (lower case); further Digits models of the same collection by
their name without the suffix they share (``wcord`` and ``wcord+kd``;
``sskd``, ``sskd_rotation``, ...). A multi-stage method lists its last
stage; the stage before it is the config beside it named by the directory
of the checkpoint it reads (``work_dirs/<stage>/epoch_N.pth``): through
``load_from`` (AB, FSP, FT: a student initialisation) or through
``model.teacher_ss_ckpt`` (SSKD: stage 1 trains the teacher's
self-supervised head). Each stage is pointed at the checkpoint the stage
before it just wrote.

The teacher is trained once (seed 0) unless ``--teacher-ckpt`` is given;
then, for each seed (``randomness.seed``), the vanilla student and every
method. The students (and the first stages that train a student) train
``--epochs`` epochs on the first ``--num-train`` training images; the
teacher and the stages that train the teacher's head (SSKD's stage 1)
``--teacher-epochs`` on the first ``--teacher-num-train`` (default: their
configs' epochs on every training image), as in the demo. Every data root
of the configs is set to ``--data-root`` (the digits are written there when
missing); validation during training is off, and each final network is
evaluated once: top-1 on the 359 test images, or with ``--val N`` on a
validation split carved from the training images: the last N of the 1,438,
which no run trains on (the test split is then not used at all).

``--sweep KEY=V1,V2,...`` (``--cfg-options`` keys, several give their
cross product; ``KEY1+KEY2=(a1,a2),(b1,b2)`` change together, e.g. a
distilled layer and its channels) runs every method at every grid point
with every seed, one table row per point. A sweep sets the last stage of
each method only (the first stages, the teacher and the vanilla student
are the same for every point and train once per seed); a key the last
stage's config does not have is an error.

The work dir gets each run's folder (``seed<S>/<config>``, a swept last
stage ``seed<S>/<point>/<config>``, ``teacher/<config>``),
``results.json`` (settings, every run, the rows), ``results.md`` (per
method and grid point: mean ± sample std of the top-1 over the seeds, the
number of seeds, the mean train time, the configs) and ``results.png``
(the means with std error bars; the vanilla student dashed, the teacher
dotted).
"""
import argparse
import itertools
import json
import logging
import os
import os.path as osp
import re
import statistics
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: E402,F401
from mmengine.config import Config, ConfigDict, DictAction  # noqa: E402

from mmkd_plus.datasets import write_digits_cifar  # noqa: E402
from mmkd_plus.datasets.digits import (NUM_TRAIN,  # noqa: E402
                                       read_digits_labels)

__all__ = [
    'stage_chain', 'first_stages', 'digits_methods', 'parse_sweep',
    'sweep_keys', 'grid_points', 'point_label', 'check_sweep_keys',
    'check_val_classes', 'set_epochs', 'build_cfg', 'run_method',
    'evaluate_teacher', 'summarize', 'format_markdown', 'chart', 'main'
]

MODEL_INDEX = osp.join(REPO, 'model-index.yml')
TEACHER, VANILLA = 'teacher', 'vanilla'
METRIC = 'accuracy/top1'
# how a stage reads the checkpoint of the stage before it
LINKS = ('load_from', 'model.teacher_ss_ckpt')
# the stages read through this link train the teacher's side (its head)
TEACHER_SIDE_LINK = 'model.teacher_ss_ckpt'
# an option of this key sets the schedule's length (see set_epochs)
EPOCHS_KEY = 'train_cfg.max_epochs'
EPILOG = """defaults: every method of model-index.yml with a Digits model,
seeds 0 1 2, the configs' own epochs (30; 5 for AB/FSP/FT's first stages,
10 for SSKD's), all 1,438 training images, a teacher trained first, the
test split; work dir work_dirs/compare.

run time (2 quiet CPU cores, from make demo's times): a student of 30
epochs on the 1,438 images takes 1-2 min, an SSKD student (four views)
about 10 min after its 2-min stage 1; a student of 60 epochs on 144
images 20-120 s. The default (20 methods and the vanilla student, 3
seeds) takes about three and a half hours, half of it the four SSKD
variants. A quick look (1-2 min):

  python tools/analysis/compare_baselines.py --methods kd ab \\
      --seeds 0 1 --epochs 1 --num-train 128 --teacher-epochs 1 \\
      --work-dir work_dirs/quick

the demo's students (60 epochs on the first 144 images; the teacher, 30
epochs on every image before the held-out ones), a validation sweep of
KD's weight on the last 287 training images (the test split unused):

  python tools/analysis/compare_baselines.py --methods kd \\
      --sweep model.distiller.distill_losses.loss_kd.loss_weight=0.5,0.9 \\
      --seeds 0 1 2 --val 287 --num-train 144 --epochs 60 \\
      --work-dir work_dirs/compare_val_kd
"""


def _name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def _rel(path: str) -> str:
    return osp.relpath(
        path, REPO) if osp.abspath(path).startswith(REPO + os.sep) else path


def _previous_checkpoint(cfg: Config) -> Tuple[Optional[str], Optional[str]]:
    """``(link, checkpoint)``: the checkpoint of an earlier stage that
    ``cfg`` reads, and through which key; ``(None, None)`` for none."""
    found = []
    if cfg.get('load_from'):
        found.append(('load_from', cfg.load_from))
    model = cfg.get('model') or {}
    if model.get('teacher_ss_ckpt'):
        found.append(('model.teacher_ss_ckpt', model.teacher_ss_ckpt))
    if len(found) > 1:
        raise ValueError(f'reads two earlier stages ({found}); one '
                         'stage chain at a time is supported')
    return found[0] if found else (None, None)


def stage_chain(config: str) -> List[Tuple[str, Optional[str]]]:
    """``config`` preceded by the stages whose checkpoint it reads.

    A stage's ``load_from`` or ``model.teacher_ss_ckpt`` of
    ``work_dirs/<name>/...`` names the stage before it, ``<name>.py``
    beside it.

    Returns:
        list[tuple]: ``(config, link)`` from the first stage to ``config``;
        ``link`` is the key through which that stage reads the checkpoint
        of the one before it (one of :data:`LINKS`; None for the first).

    Raises:
        ValueError: If ``<name>.py`` is not beside the stage, or the
            stages read each other in a loop.
    """
    chain: List[Tuple[str, Optional[str]]] = []
    current = config
    while True:
        try:
            link, checkpoint = _previous_checkpoint(Config.fromfile(current))
        except ValueError as err:
            raise ValueError(f'{_rel(current)}: {err}') from None
        chain.insert(0, (current, link))
        if link is None:
            return chain
        previous = osp.join(
            osp.dirname(current),
            osp.basename(osp.dirname(checkpoint)) + '.py')
        if not osp.isfile(previous):
            raise ValueError(
                f'{_rel(current)}: {link}={checkpoint!r} should be '
                f'work_dirs/<first stage>/epoch_N.pth with <first stage>.py '
                f'beside it, but {_rel(previous)} does not exist')
        if any(osp.samefile(previous, c) for c, _ in chain):
            raise ValueError(f'{_rel(current)}: the stages read each other '
                             f'in a loop through {_rel(previous)}')
        current = previous


def first_stages(config: str) -> List[str]:
    """``config`` preceded by the stages whose checkpoint it reads (the
    configs of :func:`stage_chain`)."""
    return [c for c, _ in stage_chain(config)]


def _method_keys(collection: str, names: Sequence[str]) -> List[str]:
    """Keys of a collection's Digits models: the collection's name for the
    first, each other's name without the suffix all of them share."""
    keys = [collection.lower()]
    if len(names) > 1:
        rev = osp.commonprefix([n[::-1] for n in names])[::-1]
        suffix = rev[rev.index('_'):] if '_' in rev else ''
        for name in names[1:]:
            key = name[:len(name) - len(suffix)].lower() or name.lower()
            key = name.lower() if key in keys else key
            if key in keys:
                raise ValueError(f'{collection}: two Digits models are '
                                 f'both named {key!r} here')
            keys.append(key)
    return keys


def digits_methods(index: str = MODEL_INDEX) -> Dict[str, dict]:
    """The methods with a Digits model in ``index`` and its metafiles.

    Returns:
        dict: Method key (see the module docstring) to ``configs``
        (absolute paths, first stage first), ``links`` (how each stage
        reads the one before it, see :func:`stage_chain`), ``model`` (the
        metafile's model name), ``teacher`` and ``student`` (the configs
        the model's metadata names, relative to the repo).
    """
    root = osp.dirname(osp.abspath(index))
    with open(index) as f:
        metafiles = yaml.safe_load(f)['Import']
    collections: Dict[str, List[dict]] = {}
    for metafile in metafiles:
        with open(osp.join(root, metafile)) as f:
            models = yaml.safe_load(f).get('Models') or []
        for model in models:
            if not any(
                    r.get('Dataset') == 'Digits'
                    for r in model.get('Results') or []):
                continue
            if 'Teacher' not in (model.get('Metadata') or {}):
                continue  # a teacher's own recipe
            collections.setdefault(model['In Collection'], []).append(model)
    methods = {}
    for collection, models in collections.items():
        keys = _method_keys(collection, [m['Name'] for m in models])
        for key, model in zip(keys, models):
            chain = stage_chain(osp.join(root, model['Config']))
            meta = model['Metadata']
            methods[key] = dict(
                configs=[c for c, _ in chain],
                links=[link for _, link in chain],
                model=model['Name'],
                teacher=meta['Teacher']['Config'],
                student=meta['Student']['Config'])
    return dict(sorted(methods.items()))


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
        if not sep or not all(keys) or not values or not all(
                p.strip() for p in parts):
            raise ValueError(f'--sweep {item!r}: expected KEY=V1,V2,... '
                             '(cfg-options keys, no empty value)')
        for k in keys:
            if k in seen:
                raise ValueError(f'--sweep: {k} is given twice')
            seen.append(k)
        parsed = [DictAction._parse_iterable(p.strip()) for p in parts]
        if len(keys) > 1:
            bad = [v for v in parsed
                   if not isinstance(v, (list, tuple)) or len(v) != len(keys)]
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
            point.update(zip(keys, value) if len(keys) > 1 else
                         [(axis, value)])
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


def _point_dir(index: int, point: Dict[str, Any]) -> str:
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
                    f'--sweep {key}: {_rel(config)} has no such key (a '
                    'sweep sets the last stage of each selected method)')


def summarize(runs: Sequence[dict]) -> List[dict]:
    """Mean and sample std (None for one run) of the top-1 per method and
    grid point; rows ordered teacher, vanilla, then the methods
    alphabetically, each method's points in the sweep's order."""
    groups: Dict[Tuple[str, str], List[dict]] = {}
    for run in runs:
        point = json.dumps(run.get('point') or {}, sort_keys=True)
        groups.setdefault((run['method'], point), []).append(run)
    rows = []
    for (method, _), group in groups.items():
        top1 = [r['top1'] for r in group]
        seconds = [r['train_seconds'] for r in group if r['train_seconds']]
        point = group[0].get('point') or {}
        label = point_label(point)
        rows.append(
            dict(
                method=method,
                point=point,
                label=f'{method} ({label})' if point else method,
                mean=statistics.mean(top1),
                std=statistics.stdev(top1) if len(top1) > 1 else None,
                n=len(top1),
                seeds=[r['seed'] for r in group],
                train_seconds=statistics.mean(seconds) if seconds else None,
                configs=group[0]['configs']))
    order = {TEACHER: 0, VANILLA: 1}
    # sorted() is stable: a method's points keep the order of the runs
    return sorted(rows, key=lambda r: (order.get(r['method'], 2), r['method']))


def format_markdown(rows: Sequence[dict], split: str = 'test') -> str:
    """The table of :func:`summarize`'s rows; ``split`` names what the
    top-1 was measured on (``'test'`` or ``'val'``)."""
    lines = [
        f'| method | top-1 ({split}, %) | seeds | train time | config(s) |',
        '|---|---:|---:|---:|---|'
    ]
    for r in rows:
        std = '–' if r['std'] is None else f"{r['std']:.2f}"
        secs = '–' if r['train_seconds'] is None \
            else f"{r['train_seconds']:.0f} s"
        configs = ', '.join(f'`{_name(c)}`' for c in r['configs'])
        label = r.get('label', r['method'])
        lines.append(f"| {label} | {r['mean']:.2f} ± {std} | {r['n']} "
                     f'| {secs} | {configs} |')
    return '\n'.join(lines)


def chart(rows: Sequence[dict], title: str, split: str = 'test'):
    """A bar per method and grid point (mean top-1, std error bar); the
    vanilla student a dashed line, the teacher a dotted one. Returns the
    matplotlib Figure."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    bars = [r for r in rows if r['method'] not in (TEACHER, VANILLA)]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(bars) + 2.5), 4.5))
    ax.bar([r.get('label', r['method']) for r in bars],
           [r['mean'] for r in bars],
           yerr=[r['std'] or 0.0 for r in bars],
           capsize=4,
           label='distilled student')
    style = {VANILLA: ('--', 'tab:red'), TEACHER: (':', 'tab:green')}
    for r in rows:
        if r['method'] in style:
            ls, color = style[r['method']]
            ax.axhline(r['mean'], ls=ls, color=color, label=r['method'])
    tops = [r['mean'] + (r['std'] or 0.0) for r in rows]
    lows = [r['mean'] - (r['std'] or 0.0) for r in rows]
    low = min(lows) - 5.0
    ax.set_ylim(low if low > 20 else 0.0, min(100.0, max(tops) + 3.0))
    ax.set_ylabel('top-1 on the ' +
                  ('validation' if split == 'val' else split) +
                  ' split (%)')
    if any(r.get('point') for r in bars):
        plt.setp(ax.get_xticklabels(), rotation=30, ha='right',
                 fontsize='small')
    ax.set_title(title, fontsize='medium')
    ax.legend(loc='lower right', fontsize='small')
    fig.tight_layout()
    return fig


def _set_data_roots(node, data_root):
    """Point every ``data_root`` of a config (dataloaders, hooks) at
    ``data_root``."""
    if isinstance(node, (dict, ConfigDict)):
        for key, value in node.items():
            if key == 'data_root':
                node[key] = data_root
            else:
                _set_data_roots(value, data_root)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _set_data_roots(item, data_root)


def set_epochs(cfg: Config, epochs: int) -> None:
    """Train ``cfg`` for ``epochs`` epochs: ``max_epochs`` and every
    scheduler's ``T_max``.

    A two-stage FitNet (a ``HintStageHook`` in ``custom_hooks``) keeps its
    hint stage in proportion before ``epochs`` epochs of the second stage:
    ``hint = max(1, round(epochs * hint_old / (max_epochs_old -
    hint_old)))`` (the MFD code's E/2), ``max_epochs = hint + epochs``,
    ``val_begin = hint + 1`` and a ``LinearLossWeightHook`` that began
    with the old second stage begins with the new one.
    """
    hooks = [h for h in cfg.get('custom_hooks') or []
             if str(h.get('type', '')).split('.')[-1] == 'HintStageHook']
    total = epochs
    if hooks:
        (hint_hook, ) = hooks
        old_hint = hint_hook['hint_epochs']
        old_main = cfg.train_cfg.max_epochs - old_hint
        hint = max(1, round(epochs * old_hint / old_main))
        hint_hook['hint_epochs'] = hint
        for hook in cfg.custom_hooks:
            if str(hook.get('type', '')).endswith('LinearLossWeightHook') \
                    and hook.get('begin') == old_hint:
                hook['begin'] = hint
        total = hint + epochs
        cfg.train_cfg.val_begin = hint + 1
    cfg.train_cfg.max_epochs = total
    scheds = cfg.get('param_scheduler') or []
    for sched in scheds if isinstance(scheds, list) else [scheds]:
        if 'T_max' in sched:
            sched['T_max'] = total


def build_cfg(config: str,
              work_dir: str,
              data_root: str,
              seed: int,
              epochs: Optional[int] = None,
              num_train=None,
              cfg_options: Optional[dict] = None,
              teacher_ckpt: Optional[str] = None,
              load_from: Optional[str] = None,
              test_indices: Optional[Sequence[int]] = None,
              options: Optional[dict] = None) -> Config:
    """``config`` set up for one run of this comparison.

    Args:
        num_train (int | Sequence[int], optional): The training images
            (mmpretrain's ``indices``: the first N, or these).
        test_indices (Sequence[int], optional): Evaluate on these images
            of the training split (through the test pipeline) instead of
            the test split.
        options (dict, optional): More keys (a sweep's grid point), merged
            after ``cfg_options``. In either, ``train_cfg.max_epochs`` sets
            the schedule's length as ``epochs`` does (:func:`set_epochs`).
    """
    cfg = Config.fromfile(config)
    _set_data_roots([cfg[key] for key in cfg.keys()], data_root)
    if epochs is not None:
        set_epochs(cfg, epochs)
    if num_train is not None:
        cfg.train_dataloader.dataset.indices = (
            num_train if isinstance(num_train, int) else list(num_train))
    if test_indices is not None:
        cfg.test_dataloader.dataset.update(
            split='train', indices=list(test_indices))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    for merged in (cfg_options, options):
        merged = dict(merged or {})
        # the schedule's length, as --epochs sets it (T_max follows)
        length = merged.pop(EPOCHS_KEY, None)
        cfg.merge_from_dict(merged)
        if length is not None:
            set_epochs(cfg, length)
    cfg.work_dir = work_dir
    cfg.experiment_name = f'{_name(config)}_seed{seed}'
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.resume = False
    # one checkpoint, the last: what a following stage loads
    cfg.default_hooks.checkpoint.update(
        interval=cfg.train_cfg.max_epochs, max_keep_ckpts=1, save_last=True)
    if teacher_ckpt is not None and 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = teacher_ckpt
    cfg.load_from = load_from
    return cfg


def _train(cfg: Config) -> Tuple[Any, float, str]:
    """Train ``cfg``: the runner, the seconds and the last checkpoint."""
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    return (runner, time.perf_counter() - start,
            osp.join(cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth'))


def run_method(method: str,
               configs: Sequence[str],
               seed: int,
               work_root: str,
               links: Optional[Sequence[Optional[str]]] = None,
               teacher_side: Optional[dict] = None,
               point: Optional[Dict[str, Any]] = None,
               point_dir: Optional[str] = None,
               cache: Optional[dict] = None,
               **kwargs) -> dict:
    """Train the stages of one method with one seed; evaluate the last one.

    Args:
        links (Sequence[str | None], optional): How each stage reads the
            checkpoint of the one before it (:func:`stage_chain`); default
            ``load_from``.
        teacher_side (dict, optional): ``epochs`` and ``num_train`` of the
            stages that train the teacher's side (read through
            ``model.teacher_ss_ckpt``); default those of ``kwargs``.
        point (dict, optional): A sweep's grid point: keys of the last
            stage only.
        point_dir (str, optional): The last stage's folder under
            ``work_root`` (one per grid point).
        cache (dict, optional): First stages already trained with this seed
            (filled here): a sweep trains them once.
        **kwargs: :func:`build_cfg`'s ``data_root``, ``epochs``,
            ``num_train``, ``cfg_options``, ``teacher_ckpt``,
            ``test_indices``.

    Returns:
        dict: ``method``, ``seed``, ``point``, ``top1``, ``eval_images``
        (how many images it was evaluated on), ``train_seconds`` (all
        stages, a reused first stage included), ``configs`` and
        ``stages`` (each with ``config``, ``link``, the checkpoint it read
        as ``load_from`` or ``teacher_ss_ckpt``, ``checkpoint``, ``epochs``,
        ``train_images``, ``train_seconds`` and ``reused``).
    """
    links = list(links or [None] + ['load_from'] * (len(configs) - 1))
    stages, checkpoint, seconds = [], None, 0.0
    for i, config in enumerate(configs):
        last = i == len(configs) - 1
        side = dict(kwargs)
        if not last and links[i + 1] == TEACHER_SIDE_LINK and teacher_side:
            side.update(teacher_side)
        key = (seed, tuple(configs[:i + 1]))
        if not last and cache is not None and key in cache:
            stage = dict(cache[key], reused=True)
        else:
            work_dir = osp.join(work_root, point_dir or '', _name(config)) \
                if last else osp.join(work_root, _name(config))
            cfg = build_cfg(
                config,
                work_dir,
                seed=seed,
                load_from=checkpoint if links[i] == 'load_from' else None,
                options=point if last else None,
                **side)
            if links[i] == TEACHER_SIDE_LINK:
                cfg.model.teacher_ss_ckpt = checkpoint
            runner, secs, ckpt = _train(cfg)
            stage = dict(
                config=_rel(config),
                link=links[i],
                load_from=checkpoint if links[i] == 'load_from' else None,
                teacher_ss_ckpt=checkpoint
                if links[i] == TEACHER_SIDE_LINK else None,
                checkpoint=ckpt,
                epochs=cfg.train_cfg.max_epochs,
                train_images=len(runner.train_dataloader.dataset),
                train_seconds=secs,
                reused=False)
            if not last and cache is not None:
                cache[key] = stage
        stages.append(stage)
        seconds += stage['train_seconds']
        checkpoint = stage['checkpoint']
    return dict(
        method=method,
        seed=seed,
        point=dict(point or {}),
        top1=float(runner.test()[METRIC]),
        eval_images=len(runner.test_dataloader.dataset),
        train_seconds=seconds,
        configs=[s['config'] for s in stages],
        stages=stages)


def evaluate_teacher(config: str, checkpoint: str, work_dir: str,
                     **kwargs) -> dict:
    """Evaluate a given teacher checkpoint (no training)."""
    from mmengine.runner import Runner
    cfg = build_cfg(config, work_dir, seed=0, load_from=checkpoint, **kwargs)
    runner = Runner.from_cfg(cfg)
    return dict(
        method=TEACHER,
        seed=None,
        point={},
        top1=float(runner.test()[METRIC]),
        eval_images=len(runner.test_dataloader.dataset),
        train_seconds=None,
        configs=[_rel(config)],
        stages=[dict(config=_rel(config), checkpoint=checkpoint)])


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be at least 1, got {value}')
    return value


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--methods',
        nargs='+',
        help='method keys (see above; collections of model-index.yml in '
        'lower case); default: every one with a Digits model')
    parser.add_argument(
        '--seeds', nargs='+', type=int, default=[0, 1, 2], help='the seeds')
    parser.add_argument(
        '--epochs',
        type=_positive,
        help='max_epochs (and T_max) of the students and of the first '
        "stages that train one; default: the configs' own")
    parser.add_argument(
        '--num-train', type=_positive,
        help='train the students on the first N images only')
    parser.add_argument(
        '--teacher-epochs',
        type=_positive,
        help='max_epochs of the teacher and of the stages that train its '
        "head (SSKD's stage 1); default: the configs' own")
    parser.add_argument(
        '--teacher-num-train',
        type=_positive,
        help='train the teacher and the stages that train its head on the '
        'first N images; default: every training image (before the '
        'held-out ones with --val)')
    parser.add_argument(
        '--val',
        type=_positive,
        metavar='N',
        help='evaluate on the last N training images, which no run trains '
        'on, instead of the test split (a --teacher-ckpt must not have '
        'seen them either)')
    parser.add_argument(
        '--sweep',
        nargs='+',
        metavar='KEY=V1,V2',
        help="grid of the methods' last-stage config keys (cfg-options "
        'form; several keys: their cross product; K1+K2=(a1,a2),(b1,b2): '
        'keys that change together); one row per point')
    parser.add_argument(
        '--teacher-ckpt', help='a digits teacher checkpoint, tested only')
    parser.add_argument('--work-dir', default='work_dirs/compare')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='key=value, merged into every config')
    args = parser.parse_args(argv)
    available = NUM_TRAIN - (args.val or 0)
    if available < 1:
        parser.error(f'--val {args.val} leaves no training image of the '
                     f'{NUM_TRAIN}')
    for option in ('num_train', 'teacher_num_train'):
        value = getattr(args, option)
        if value is not None and value > available:
            flag = '--' + option.replace('_', '-')
            parser.error(
                f'{flag} {value} + --val {args.val or 0} = '
                f'{value + (args.val or 0)} exceeds the {NUM_TRAIN} '
                'training images' if args.val else
                f'{flag} {value} exceeds the {NUM_TRAIN} training images')
    try:
        args.sweep = parse_sweep(args.sweep)
    except ValueError as err:
        parser.error(str(err))
    if args.teacher_ckpt and not osp.isfile(args.teacher_ckpt):
        parser.error(f'--teacher-ckpt {args.teacher_ckpt} does not exist')
    return args


def check_val_classes(data_root: str, val: int) -> List[int]:
    """Per-class counts of the last ``val`` training digits.

    Raises:
        ValueError: A class has no held-out digit.
    """
    labels = read_digits_labels(data_root)
    counts = [int((labels[-val:] == c).sum()) for c in range(10)]
    missing = [c for c, n in enumerate(counts) if n == 0]
    if missing:
        raise ValueError(f'--val {val}: the last {val} training images '
                         f'hold no digit of class(es) {missing}; hold out '
                         'more')
    return counts


def main(argv=None) -> List[dict]:
    """Run the comparison; returns :func:`summarize`'s rows."""
    args = parse_args(argv)
    available = digits_methods()
    names = args.methods or list(available)
    unknown = [m for m in names if m.lower() not in available]
    if unknown:
        raise ValueError(
            f'unknown method(s) {unknown}; model-index.yml has a Digits '
            f'model for: {", ".join(available)}')
    methods = {m.lower(): available[m.lower()] for m in names}
    pairs = {(m['teacher'], m['student']) for m in methods.values()}
    if len(pairs) != 1:
        raise ValueError(f'the methods name different teacher/student '
                         f'configs in their metafiles: {sorted(pairs)}')
    teacher_cfg, student_cfg = (osp.join(REPO, c) for c in pairs.pop())
    if args.sweep:
        check_sweep_keys(args.sweep,
                         [m['configs'][-1] for m in methods.values()])
    points = grid_points(args.sweep)

    logging.getLogger('mmengine').setLevel(logging.WARNING)
    os.makedirs(args.work_dir, exist_ok=True)
    write_digits_cifar(args.data_root)
    split = 'val' if args.val else 'test'
    cut = NUM_TRAIN - (args.val or 0)
    val_counts = check_val_classes(args.data_root,
                                   args.val) if args.val else None

    def train_images(num):
        # with --val, every run trains before the held-out images
        if args.val:
            return list(range(num or cut))
        return num

    test_indices = list(range(cut, NUM_TRAIN)) if args.val else None
    common = dict(
        data_root=args.data_root,
        cfg_options=args.cfg_options,
        test_indices=test_indices)
    student = dict(epochs=args.epochs, num_train=train_images(args.num_train))
    teacher_side = dict(
        epochs=args.teacher_epochs,
        num_train=train_images(args.teacher_num_train))
    start = time.perf_counter()
    teacher_dir = osp.join(args.work_dir, TEACHER)
    if args.teacher_ckpt:
        runs = [
            evaluate_teacher(teacher_cfg, args.teacher_ckpt,
                             osp.join(teacher_dir, _name(teacher_cfg)),
                             **common)
        ]
    else:
        runs = [
            run_method(TEACHER, [teacher_cfg], 0, teacher_dir, **common,
                       **teacher_side)
        ]
    teacher_ckpt = runs[0]['stages'][-1]['checkpoint']
    print(f"[compare] teacher: top-1 ({split}) {runs[0]['top1']:.2f}",
          flush=True)
    for seed in args.seeds:
        seed_root = osp.join(args.work_dir, f'seed{seed}')
        cache: dict = {}
        jobs = [(VANILLA, dict(configs=[student_cfg]), {}, None)]
        for name, method in methods.items():
            for i, point in enumerate(points):
                jobs.append((name, method, point,
                             _point_dir(i, point) if point else None))
        for name, method, point, point_dir in jobs:
            runs.append(
                run_method(
                    name,
                    method['configs'],
                    seed,
                    seed_root,
                    links=method.get('links'),
                    teacher_side=teacher_side,
                    point=point,
                    point_dir=point_dir,
                    cache=cache,
                    teacher_ckpt=teacher_ckpt,
                    **common,
                    **student))
            label = f' ({point_label(point)})' if point else ''
            print(
                f'[compare] seed {seed} {name}{label}: top-1 ({split}) '
                f"{runs[-1]['top1']:.2f}",
                flush=True)

    rows = summarize(runs)
    epochs = args.epochs or "the configs' own"
    where = (f'top-1 on the last {args.val} training images (validation; '
             'no run trained on them, the test split unused)'
             if args.val else 'top-1 on the 359 test images')
    title = (f'Digits, {_name(teacher_cfg)} -> {_name(student_cfg)}, seeds '
             f'{" ".join(map(str, args.seeds))}, epochs: {epochs}' +
             (f', {args.num_train} training images' if args.num_train else
              '') + f'; {where}')
    minutes = (time.perf_counter() - start) / 60
    table = format_markdown(rows, split)
    settings = dict(
        vars(args),
        teacher_ckpt=teacher_ckpt,
        minutes=minutes,
        split=split,
        val_images=[cut, NUM_TRAIN] if args.val else None,
        val_class_counts=val_counts,
        points=points,
        command=' '.join(['python', _rel(osp.abspath(__file__))] +
                         list(sys.argv[1:] if argv is None else argv)))
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(settings=settings, runs=runs, rows=rows), f, indent=1)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(f'{title} ({minutes:.1f} min):\n\n{table}\n')
    chart(rows, title, split).savefig(
        osp.join(args.work_dir, 'results.png'), dpi=100)
    print(f'\n{title} ({minutes:.1f} min):\n\n{table}', flush=True)
    return rows


if __name__ == '__main__':
    main()
