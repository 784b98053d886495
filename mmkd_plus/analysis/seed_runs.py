# Copyright (c) OpenMMLab. All rights reserved.
"""Training runs of the digits seeds runners, and their tables.

``tools/analysis/compare_baselines.py``, ``mfd_seeds.py`` and
``wcord_lambda_sweep.py`` share them: a method's chain of stage configs,
the methods ``model-index.yml`` lists with a digits model, a config set up
for one run (data root, seed, length, sweep point, the stage before it),
the run itself and its top-1, and the mean ± sample std tables.
"""
import argparse
import json
import os.path as osp
import statistics
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml
from mmengine.config import Config

from mmkd_plus.datasets.digits import NUM_TRAIN, read_digits_labels
from mmkd_plus.utils.data_root import set_data_root
from .paths import MODEL_INDEX, config_name, rel_path
from .sweeps import parse_sweep, point_label

__all__ = [
    'TEACHER', 'VANILLA', 'METRIC', 'LINKS', 'TEACHER_SIDE_LINK', 'EPOCHS_KEY',
    'stage_chain', 'first_stages', 'digits_methods', 'summarize',
    'format_markdown', 'chart', 'set_epochs', 'build_cfg', 'run_method',
    'evaluate_teacher', 'positive_int', 'check_val_classes', 'check_run_args'
]

TEACHER, VANILLA = 'teacher', 'vanilla'
METRIC = 'accuracy/top1'
#: how a stage reads the checkpoint of the stage before it
LINKS = ('load_from', 'model.teacher_ss_ckpt')
#: the stages read through this link train the teacher's side (its head)
TEACHER_SIDE_LINK = 'model.teacher_ss_ckpt'
#: an option of this key sets the schedule's length (see set_epochs)
EPOCHS_KEY = 'train_cfg.max_epochs'


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
            raise ValueError(f'{rel_path(current)}: {err}') from None
        chain.insert(0, (current, link))
        if link is None:
            return chain
        previous = osp.join(
            osp.dirname(current),
            osp.basename(osp.dirname(checkpoint)) + '.py')
        if not osp.isfile(previous):
            raise ValueError(
                f'{rel_path(current)}: {link}={checkpoint!r} should be '
                f'work_dirs/<first stage>/epoch_N.pth with <first stage>.py '
                f'beside it, but {rel_path(previous)} does not exist')
        if any(osp.samefile(previous, c) for c, _ in chain):
            raise ValueError(f'{rel_path(current)}: the stages read each '
                             f'other in a loop through {rel_path(previous)}')
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
        configs = ', '.join(f'`{config_name(c)}`' for c in r['configs'])
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
                  ('validation' if split == 'val' else split) + ' split (%)')
    if any(r.get('point') for r in bars):
        plt.setp(
            ax.get_xticklabels(), rotation=30, ha='right', fontsize='small')
    ax.set_title(title, fontsize='medium')
    ax.legend(loc='lower right', fontsize='small')
    fig.tight_layout()
    return fig


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
    hooks = [
        h for h in cfg.get('custom_hooks') or []
        if str(h.get('type', '')).split('.')[-1] == 'HintStageHook'
    ]
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
    set_data_root(cfg, data_root)
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
    cfg.experiment_name = f'{config_name(config)}_seed{seed}'
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
            name = config_name(config)
            work_dir = osp.join(work_root, point_dir or '', name) \
                if last else osp.join(work_root, name)
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
                config=rel_path(config),
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
        configs=[rel_path(config)],
        stages=[dict(config=rel_path(config), checkpoint=checkpoint)])


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be at least 1, got {value}')
    return value


def check_run_args(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    num_train_options: Sequence[str] = ('num_train', )
) -> None:
    """The checks every seeds runner makes of its options, as
    ``parser.error``: ``--val`` leaves training images, each of
    ``num_train_options`` (``--num-train``...) fits in what is left,
    ``--sweep`` parses (into ``args.sweep``, see :func:`parse_sweep`) and
    ``--teacher-ckpt`` exists."""
    val = args.val or 0
    available = NUM_TRAIN - val
    if available < 1:
        parser.error(f'--val {args.val} leaves no training image of the '
                     f'{NUM_TRAIN}')
    for option in num_train_options:
        value = getattr(args, option)
        if value is not None and value > available:
            flag = '--' + option.replace('_', '-')
            parser.error(
                f'{flag} {value} + --val {val} = {value + val} exceeds the '
                f'{NUM_TRAIN} training images' if val else
                f'{flag} {value} exceeds the {NUM_TRAIN} training images')
    try:
        args.sweep = parse_sweep(args.sweep)
    except ValueError as err:
        parser.error(str(err))
    if args.teacher_ckpt and not osp.isfile(args.teacher_ckpt):
        parser.error(f'--teacher-ckpt {args.teacher_ckpt} does not exist')


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
