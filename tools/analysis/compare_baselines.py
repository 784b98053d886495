# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Train the distillation methods on the digits with several seeds; write a
mean ± std table and a bar chart.

What runs comes from model-index.yml: every method (a metafile collection)
with a model whose result is on the Digits, that model's config, and the
teacher and vanilla student configs its metadata names. A two-stage method
(AB, FSP, FT) lists its second stage; the first is the config beside it
named by the directory of its ``load_from``
(``work_dirs/<first stage>/epoch_N.pth``), and the second stage is pointed
at the checkpoint the first one just wrote.

The teacher is trained once (seed 0) unless ``--teacher-ckpt`` is given;
then, for each seed (``randomness.seed``), the vanilla student and every
method. Every data root of the configs is set to ``--data-root`` (the digits
are written there when missing); validation is off, and each final student
is tested once (top-1 on the 359 test images).

The work dir gets each run's folder (``seed<S>/<config>``,
``teacher/<config>``), ``results.json`` (settings and every run),
``results.md`` (per method: mean ± sample std of the top-1 over the seeds,
the number of seeds, the mean train time, the configs) and ``results.png``
(the means with std error bars; the vanilla student dashed, the teacher
dotted).
"""
import argparse
import json
import logging
import os
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Optional, Sequence

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: E402,F401
from mmengine.config import Config, ConfigDict, DictAction  # noqa: E402

from mmkd_plus.datasets import write_digits_cifar  # noqa: E402

MODEL_INDEX = osp.join(REPO, 'model-index.yml')
TEACHER, VANILLA = 'teacher', 'vanilla'
METRIC = 'accuracy/top1'
EPILOG = """defaults: every method of model-index.yml with a Digits model,
seeds 0 1 2, the configs' own epochs (30; 5 for first stages), all 1,438
training images, a teacher trained first; work dir work_dirs/compare.

run time: per seed, the vanilla student and 14 methods train 30 epochs
each (55-100 s apiece on 2 CPU cores, as in make demo) and three first
stages 5 epochs; the teacher trains once: about an hour and ten minutes
on 2 CPU cores in all. A quick look (1-2 min):

  python tools/analysis/compare_baselines.py --methods kd ab \\
      --seeds 0 1 --epochs 1 --num-train 128 --work-dir work_dirs/quick
"""


def _name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def _rel(path: str) -> str:
    return osp.relpath(
        path, REPO) if osp.abspath(path).startswith(REPO + os.sep) else path


def first_stages(config: str) -> List[str]:
    """``config`` preceded by the stages whose checkpoint it loads.

    A stage's ``load_from`` of ``work_dirs/<name>/...`` names the stage
    before it, ``<name>.py`` beside it.

    Raises:
        ValueError: If ``<name>.py`` is not beside ``config``.
    """
    stages = [config]
    load_from = Config.fromfile(config).get('load_from')
    while load_from:
        previous = osp.join(
            osp.dirname(stages[0]),
            osp.basename(osp.dirname(load_from)) + '.py')
        if not osp.isfile(previous):
            raise ValueError(
                f'{_rel(stages[0])}: load_from={load_from!r} should be '
                f'work_dirs/<first stage>/epoch_N.pth with <first stage>.py '
                f'beside it, but {_rel(previous)} does not exist')
        stages.insert(0, previous)
        load_from = Config.fromfile(previous).get('load_from')
    return stages


def digits_methods(index: str = MODEL_INDEX) -> Dict[str, dict]:
    """The methods with a Digits model in ``index`` and its metafiles.

    Returns:
        dict: Method name (its collection's, lower case) to ``configs``
        (absolute paths, first stage first), ``teacher`` and ``student``
        (the configs the model's metadata names, relative to the repo).
    """
    root = osp.dirname(osp.abspath(index))
    with open(index) as f:
        metafiles = yaml.safe_load(f)['Import']
    methods = {}
    for metafile in metafiles:
        with open(osp.join(root, metafile)) as f:
            models = yaml.safe_load(f).get('Models') or []
        for model in models:
            if not any(
                    r.get('Dataset') == 'Digits'
                    for r in model.get('Results') or []):
                continue
            meta = model.get('Metadata', {})
            if 'Teacher' not in meta:  # a teacher's own recipe
                continue
            methods[model['In Collection'].lower()] = dict(
                configs=first_stages(osp.join(root, model['Config'])),
                teacher=meta['Teacher']['Config'],
                student=meta['Student']['Config'])
    return dict(sorted(methods.items()))


def summarize(runs: Sequence[dict]) -> List[dict]:
    """Mean and sample std (None for one run) of the top-1 per method; rows
    ordered teacher, vanilla, then the methods alphabetically."""
    groups: Dict[str, List[dict]] = {}
    for run in runs:
        groups.setdefault(run['method'], []).append(run)
    rows = []
    for method, group in groups.items():
        top1 = [r['top1'] for r in group]
        seconds = [r['train_seconds'] for r in group if r['train_seconds']]
        rows.append(
            dict(
                method=method,
                mean=statistics.mean(top1),
                std=statistics.stdev(top1) if len(top1) > 1 else None,
                n=len(top1),
                train_seconds=statistics.mean(seconds) if seconds else None,
                configs=group[0]['configs']))
    order = {TEACHER: 0, VANILLA: 1}
    return sorted(rows, key=lambda r: (order.get(r['method'], 2), r['method']))


def format_markdown(rows: Sequence[dict]) -> str:
    """The table of :func:`summarize`'s rows."""
    lines = [
        '| method | top-1 (test, %) | seeds | train time | config(s) |',
        '|---|---:|---:|---:|---|'
    ]
    for r in rows:
        std = '–' if r['std'] is None else f"{r['std']:.2f}"
        secs = '–' if r['train_seconds'] is None \
            else f"{r['train_seconds']:.0f} s"
        configs = ', '.join(f'`{_name(c)}`' for c in r['configs'])
        lines.append(f"| {r['method']} | {r['mean']:.2f} ± {std} | {r['n']} "
                     f'| {secs} | {configs} |')
    return '\n'.join(lines)


def chart(rows: Sequence[dict], title: str):
    """A bar per method (mean top-1, std error bar); the vanilla student a
    dashed line, the teacher a dotted one. Returns the matplotlib Figure."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    bars = [r for r in rows if r['method'] not in (TEACHER, VANILLA)]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(bars) + 2.5), 4.5))
    ax.bar([r['method'] for r in bars], [r['mean'] for r in bars],
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
    ax.set_ylabel('top-1 on the test split (%)')
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


def build_cfg(config: str,
              work_dir: str,
              data_root: str,
              seed: int,
              epochs: Optional[int] = None,
              num_train: Optional[int] = None,
              cfg_options: Optional[dict] = None,
              teacher_ckpt: Optional[str] = None,
              load_from: Optional[str] = None) -> Config:
    """``config`` set up for one run of this comparison."""
    cfg = Config.fromfile(config)
    _set_data_roots([cfg[key] for key in cfg.keys()], data_root)
    if epochs is not None:
        cfg.train_cfg.max_epochs = epochs
        scheds = cfg.get('param_scheduler') or []
        for sched in scheds if isinstance(scheds, list) else [scheds]:
            if 'T_max' in sched:
                sched['T_max'] = epochs
    if num_train is not None:
        cfg.train_dataloader.dataset.indices = num_train
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
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


def run_method(method: str, configs: Sequence[str], seed: int, work_root: str,
               **kwargs) -> dict:
    """Train the stages of one method with one seed; test the last one.

    Returns:
        dict: ``method``, ``seed``, ``top1``, ``train_seconds`` (all
        stages), ``configs`` and ``stages`` (each with ``config``,
        ``load_from`` and ``checkpoint``).
    """
    from mmengine.runner import Runner
    stages, checkpoint, seconds = [], None, 0.0
    for config in configs:
        cfg = build_cfg(
            config,
            osp.join(work_root, _name(config)),
            seed=seed,
            load_from=checkpoint,
            **kwargs)
        runner = Runner.from_cfg(cfg)
        start = time.perf_counter()
        runner.train()
        seconds += time.perf_counter() - start
        stages.append(dict(config=_rel(config), load_from=checkpoint))
        checkpoint = osp.join(cfg.work_dir,
                              f'epoch_{cfg.train_cfg.max_epochs}.pth')
        stages[-1]['checkpoint'] = checkpoint
    return dict(
        method=method,
        seed=seed,
        top1=float(runner.test()[METRIC]),
        train_seconds=seconds,
        configs=[s['config'] for s in stages],
        stages=stages)


def evaluate_teacher(config: str, checkpoint: str, work_dir: str,
                     **kwargs) -> dict:
    """Evaluate a given teacher checkpoint (no training)."""
    from mmengine.runner import Runner
    cfg = build_cfg(config, work_dir, seed=0, load_from=checkpoint, **kwargs)
    return dict(
        method=TEACHER,
        seed=None,
        top1=float(Runner.from_cfg(cfg).test()[METRIC]),
        train_seconds=None,
        configs=[_rel(config)],
        stages=[dict(config=_rel(config), checkpoint=checkpoint)])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--methods',
        nargs='+',
        help='method names (collections of model-index.yml, lower case); '
        'default: every one with a Digits model')
    parser.add_argument(
        '--seeds', nargs='+', type=int, default=[0, 1, 2], help='the seeds')
    parser.add_argument(
        '--epochs',
        type=int,
        help='max_epochs (and T_max) of every config, teacher and first '
        "stages included; default: the configs' own")
    parser.add_argument(
        '--num-train', type=int, help='train on the first N images only')
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
    if args.epochs is not None and args.epochs < 1:
        parser.error('--epochs must be at least 1')
    if args.num_train is not None and args.num_train < 1:
        parser.error('--num-train must be at least 1')
    if args.teacher_ckpt and not osp.isfile(args.teacher_ckpt):
        parser.error(f'--teacher-ckpt {args.teacher_ckpt} does not exist')
    return args


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

    logging.getLogger('mmengine').setLevel(logging.WARNING)
    os.makedirs(args.work_dir, exist_ok=True)
    write_digits_cifar(args.data_root)
    common = dict(
        data_root=args.data_root,
        epochs=args.epochs,
        num_train=args.num_train,
        cfg_options=args.cfg_options)
    start = time.perf_counter()
    teacher_dir = osp.join(args.work_dir, TEACHER)
    if args.teacher_ckpt:
        runs = [
            evaluate_teacher(teacher_cfg, args.teacher_ckpt,
                             osp.join(teacher_dir, _name(teacher_cfg)),
                             **common)
        ]
    else:
        runs = [run_method(TEACHER, [teacher_cfg], 0, teacher_dir, **common)]
    teacher_ckpt = runs[0]['stages'][-1]['checkpoint']
    jobs = [(VANILLA, [student_cfg])]
    jobs += [(name, m['configs']) for name, m in methods.items()]
    for seed in args.seeds:
        for method, configs in jobs:
            runs.append(
                run_method(
                    method,
                    configs,
                    seed,
                    osp.join(args.work_dir, f'seed{seed}'),
                    teacher_ckpt=teacher_ckpt,
                    **common))
            print(
                f"[compare] seed {seed} {method}: top-1 "
                f"{runs[-1]['top1']:.2f}",
                flush=True)

    rows = summarize(runs)
    epochs = args.epochs or "the configs' own"
    title = (f'Digits, {_name(teacher_cfg)} -> {_name(student_cfg)}, seeds '
             f'{" ".join(map(str, args.seeds))}, epochs: {epochs}' +
             (f', {args.num_train} training images' if args.num_train else ''))
    minutes = (time.perf_counter() - start) / 60
    table = format_markdown(rows)
    settings = dict(vars(args), teacher_ckpt=teacher_ckpt, minutes=minutes)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(settings=settings, runs=runs, rows=rows), f, indent=1)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(f'{title} ({minutes:.1f} min):\n\n{table}\n')
    chart(rows, title).savefig(osp.join(args.work_dir, 'results.png'), dpi=100)
    print(f'\n{title} ({minutes:.1f} min):\n\n{table}', flush=True)
    return rows


if __name__ == '__main__':
    main()
