# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Train every baseline on the digits with several seeds and compare them.

Usage::

    python tools/analysis/compare_baselines.py [--methods kd nst ...]
        [--seeds 0 1 2] [--epochs E] [--num-train N] [--teacher-ckpt PATH]
        [--work-dir work_dirs/compare] [--data-root data/digits]
        [--cfg-options k=v ...]

Example (a quick look at two methods, 3 epochs, 2 seeds)::

    python tools/analysis/compare_baselines.py --methods kd nst \\
        --seeds 0 1 --epochs 3

It writes the scikit-learn digits in CIFAR format if ``--data-root`` does
not hold them, trains the digits teacher
(configs/teachers/resnet20_1xb64_digits.py) once with seed 0 unless
``--teacher-ckpt`` is given (then it only evaluates that checkpoint), and
then, for each seed, the vanilla student
(configs/teachers/resnet8_1xb64_digits.py) and each method's digits
config(s) under configs/baselines/<method>/, with ``randomness.seed`` set to
the seed. Two-stage methods (ft, ab, fsp) run their first stage
(``*_pretrain.py`` / ``*_init.py``) and then their ``*_train.py``, whose
``load_from`` is pointed at the checkpoint the first stage just wrote. Every
final student is evaluated on the test split (``runner.test()``, top-1).
Validation during training is switched off (it does not change training).

``--epochs`` overrides ``train_cfg.max_epochs`` (and the schedulers'
``T_max``) of every config, the teacher's and the first stages' included;
``--num-train`` trains on the first N training images only; both are meant
for quick runs. ``--cfg-options`` is merged into every config.

The work dir receives, besides each run's own folder
(``seed<S>/<config name>``, ``teacher/<config name>``):

- ``results.json``: the settings and every run (method, seed, top-1, train
  seconds, the configs, each stage's work dir, ``load_from`` and checkpoint);
- ``results.md``: one row per method (teacher, vanilla student, then the
  methods alphabetically): mean ± sample std of the top-1 over the seeds
  (``–`` with a single seed), the number of seeds, the mean train time and
  the config(s);
- ``results.png``: the mean top-1 of each method with std error bars, the
  vanilla student as a dashed line and the teacher as a dotted one.
"""
import argparse
import json
import logging
import os
import os.path as osp
import re
import statistics
import sys
import time
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: E402,F401
from mmengine.config import Config, DictAction  # noqa: E402

from mmkd_plus.datasets import write_digits_cifar  # noqa: E402

BASELINES = osp.join(REPO, 'configs', 'baselines')
TEACHER_CFG = 'configs/teachers/resnet20_1xb64_digits.py'
STUDENT_CFG = 'configs/teachers/resnet8_1xb64_digits.py'
TEACHER = 'teacher'
VANILLA = 'vanilla'
METRIC = 'accuracy/top1'

# <name>_digits.py (one stage) or <name>_digits_<stage>.py
_DIGITS_RE = re.compile(r'_digits(?:_(?P<stage>[a-z]+))?\.py$')
# the stage suffixes, in the order they run
_STAGE_ORDER = {None: 0, 'pretrain': 0, 'init': 0, 'train': 1}


def _rel(path: str) -> str:
    """``path`` relative to the repository root when it lies inside it."""
    path = osp.abspath(path)
    return osp.relpath(path, REPO) if path.startswith(REPO + os.sep) \
        else path


def _config_name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def available_methods(root: str = BASELINES) -> List[str]:
    """The method folders under ``root`` that hold a digits config.

    Args:
        root (str): The baselines folder. Defaults to configs/baselines.

    Returns:
        list[str]: The folder names, sorted.
    """
    if not osp.isdir(root):
        return []
    return sorted(
        name for name in os.listdir(root)
        if osp.isdir(osp.join(root, name)) and any(
            _DIGITS_RE.search(f) for f in os.listdir(osp.join(root, name))))


def stages_for(method: str, root: str = BASELINES) -> List[str]:
    """The digits config(s) of ``method``, in the order they must run.

    A one-stage method has a single ``*_digits.py``; a two-stage one a first
    stage ``*_digits_pretrain.py`` or ``*_digits_init.py`` and a second
    ``*_digits_train.py`` that loads the first stage's checkpoint.

    Args:
        method (str): A folder name under ``root``, e.g. ``'kd'``.
        root (str): The baselines folder. Defaults to configs/baselines.

    Returns:
        list[str]: Absolute config paths, first stage first.

    Raises:
        ValueError: ``method`` is not a folder of ``root`` (the message lists
            the available methods), the folder has no digits config, or its
            digits configs do not form one run (e.g. two one-stage configs,
            or an unknown stage suffix).
    """
    folder = osp.join(root, method)
    if not method or not osp.isdir(folder) or method.startswith(('.', '_')):
        raise ValueError(
            f'unknown method {method!r}; available (folders of {_rel(root)} '
            f'with a digits config): '
            f'{", ".join(available_methods(root)) or "none"}')
    found = []
    for name in sorted(os.listdir(folder)):
        match = _DIGITS_RE.search(name)
        if match:
            found.append((match.group('stage'), osp.join(folder, name)))
    if not found:
        raise ValueError(
            f'method {method!r} has no digits config: {_rel(folder)} holds '
            'no *_digits.py, *_digits_pretrain.py / *_digits_init.py + '
            '*_digits_train.py')
    unknown = [p for s, p in found if s not in _STAGE_ORDER]
    if unknown:
        raise ValueError(
            f'method {method!r}: unknown stage suffix in '
            f'{[_rel(p) for p in unknown]}; expected _digits.py, '
            '_digits_pretrain.py, _digits_init.py or _digits_train.py')
    found.sort(key=lambda item: _STAGE_ORDER[item[0]])
    orders = [_STAGE_ORDER[s] for s, _ in found]
    if len(set(orders)) != len(orders) or (len(found) > 1
                                           and found[0][0] is None):
        raise ValueError(
            f'method {method!r}: its digits configs '
            f'{[_rel(p) for _, p in found]} are not one run (expected one '
            '*_digits.py, or a first stage and a *_digits_train.py)')
    return [p for _, p in found]


def summarize(runs: Sequence[dict]) -> List[dict]:
    """Aggregate runs per method: mean and sample std of the top-1.

    Args:
        runs (Sequence[dict]): Each with ``method``, ``seed``, ``top1``,
            ``train_seconds`` (a number or None, e.g. for a given teacher
            checkpoint) and ``configs`` (list of config paths).

    Returns:
        list[dict]: One row per method with ``method``, ``mean``, ``std``
        (``ddof=1``; None with a single run), ``n`` (number of runs),
        ``seeds``, ``train_seconds`` (mean over the runs that have one, or
        None) and ``configs``; sorted as teacher, vanilla, then the
        methods alphabetically.
    """
    groups: Dict[str, List[dict]] = {}
    for run in runs:
        groups.setdefault(run['method'], []).append(run)
    rows = []
    for method, group in groups.items():
        top1 = [float(r['top1']) for r in group]
        seconds = [
            float(r['train_seconds']) for r in group
            if r.get('train_seconds') is not None
        ]
        rows.append(
            dict(
                method=method,
                mean=statistics.mean(top1),
                std=statistics.stdev(top1) if len(top1) > 1 else None,
                n=len(top1),
                seeds=sorted(r['seed'] for r in group
                             if r['seed'] is not None),
                train_seconds=statistics.mean(seconds) if seconds else None,
                configs=list(group[0]['configs'])))
    order = {TEACHER: 0, VANILLA: 1}
    rows.sort(key=lambda r: (order.get(r['method'], 2), r['method']))
    return rows


def format_markdown(rows: Sequence[dict]) -> str:
    """A markdown table of :func:`summarize`'s rows, in their order.

    Args:
        rows (Sequence[dict]): Rows of :func:`summarize`.

    Returns:
        str: The table (header, separator, one line per row), no trailing
        newline.
    """
    lines = [
        '| method | top-1 (test, %) | seeds | train time | config(s) |',
        '|---|---:|---:|---:|---|',
    ]
    for r in rows:
        std = '–' if r['std'] is None else f"{r['std']:.2f}"
        seconds = '–' if r['train_seconds'] is None \
            else f"{r['train_seconds']:.0f} s"
        configs = ', '.join(f'`{_config_name(c)}`' for c in r['configs'])
        lines.append(f"| {r['method']} | {r['mean']:.2f} ± {std} | "
                     f"{r['n']} | {seconds} | {configs} |")
    return '\n'.join(lines)


def plot(rows: Sequence[dict],
         path: str,
         student: str = 'resnet8',
         teacher: str = 'resnet20',
         seeds: Optional[int] = None,
         epochs: Optional[str] = None) -> str:
    """Save a bar chart of the mean top-1 (std error bars) per method.

    The distillation methods are bars; the vanilla student is a dashed
    horizontal line and the teacher a dotted one.

    Args:
        rows (Sequence[dict]): Rows of :func:`summarize`.
        path (str): The image file to write (e.g. ``results.png``).
        student (str): The student network, for the title.
        teacher (str): The teacher network, for the title.
        seeds (int, optional): The number of seeds, for the title.
        epochs (str, optional): The epochs (e.g. ``'30'`` or
            ``'the configs\\' own'``), for the title.

    Returns:
        str: ``path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    methods = [r for r in rows if r['method'] not in (TEACHER, VANILLA)]
    lines = {r['method']: r for r in rows if r['method'] in (TEACHER, VANILLA)}
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(methods) + 2.5), 4.5))
    xs = list(range(len(methods)))
    means = [r['mean'] for r in methods]
    errs = [r['std'] or 0.0 for r in methods]
    ax.bar(
        xs,
        means,
        yerr=errs,
        capsize=4,
        color='tab:blue',
        label='distilled student')
    ax.set_xticks(xs)
    ax.set_xticklabels([r['method'] for r in methods])
    style = {
        VANILLA: ('--', 'tab:red', f'vanilla {student}'),
        TEACHER: (':', 'tab:green', f'teacher {teacher}')
    }
    for method, (ls, color, label) in style.items():
        if method in lines:
            ax.axhline(
                lines[method]['mean'], linestyle=ls, color=color, label=label)
    marks = [r['mean'] for r in lines.values()]
    values = [m - e for m, e in zip(means, errs)] + marks
    tops = [m + e for m, e in zip(means, errs)] + marks
    if values:
        low = max(0.0, min(values) - 5.0)
        ax.set_ylim(low if low > 20 else 0.0, min(100.0, max(tops) + 3.0))
    if not methods:
        ax.set_xlim(-0.5, 0.5)
    ax.set_xlabel('method')
    ax.set_ylabel('top-1 on the test split (%)')
    details = []
    if seeds is not None:
        details.append(f'{seeds} seed{"s" if seeds != 1 else ""}')
    if epochs is not None:
        details.append(f'{epochs} epochs')
    ax.set_title(
        f'Digits: {student} student, {teacher} teacher' +
        ('\n' + ', '.join(details) if details else ''),
        fontsize='medium')
    ax.legend(loc='best', fontsize='small', framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _set_epochs(cfg: Config, epochs: int) -> None:
    cfg.train_cfg.max_epochs = epochs
    schedulers = cfg.get('param_scheduler')
    if schedulers is None:
        return
    for sched in (schedulers
                  if isinstance(schedulers, list) else [schedulers]):
        if 'T_max' in sched:
            sched['T_max'] = epochs


def build_cfg(config: str,
              work_dir: str,
              data_root: str,
              seed: int,
              epochs: Optional[int] = None,
              num_train: Optional[int] = None,
              cfg_options: Optional[dict] = None,
              teacher_ckpt: Optional[str] = None,
              load_from: Optional[str] = None) -> Config:
    """Load ``config`` with this runner's settings for one run.

    Args:
        config (str): The config file.
        work_dir (str): The run's work dir.
        data_root (str): The digits' data root.
        seed (int): ``randomness.seed``.
        epochs (int, optional): Override of the epochs (and ``T_max``).
        num_train (int, optional): Train on the first N images only.
        cfg_options (dict, optional): Merged after the settings above.
        teacher_ckpt (str, optional): ``model.teacher_ckpt`` of a
            distillation config.
        load_from (str, optional): The checkpoint to start from (a second
            stage); replaces the config's own.

    Returns:
        Config: The config to give ``Runner.from_cfg``.
    """
    cfg = Config.fromfile(config)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    if epochs is not None:
        _set_epochs(cfg, epochs)
    if num_train is not None:
        cfg.train_dataloader.dataset.indices = num_train
    # evaluated once at the end by runner.test()
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir
    cfg.experiment_name = f'{_config_name(config)}_seed{seed}'
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.resume = False
    # one checkpoint, the last one: what a following stage loads
    cfg.default_hooks.checkpoint.interval = cfg.train_cfg.max_epochs
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    cfg.default_hooks.checkpoint.save_last = True
    if teacher_ckpt is not None and 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = teacher_ckpt
    if load_from is not None:
        cfg.load_from = load_from
    return cfg


def _run(cfg: Config, train: bool = True, test: bool = True) -> dict:
    """Build a Runner from ``cfg``, train and/or test it.

    Returns:
        dict: ``top1`` (None without ``test``), ``train_seconds`` and
        ``checkpoint`` (the last epoch's; None without ``train``) and
        ``epochs``.
    """
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    seconds = checkpoint = top1 = None
    if train:
        start = time.perf_counter()
        runner.train()
        seconds = time.perf_counter() - start
        checkpoint = osp.join(cfg.work_dir,
                              f'epoch_{cfg.train_cfg.max_epochs}.pth')
        if not osp.isfile(checkpoint):
            raise RuntimeError(f'{checkpoint} was not written')
    if test:
        top1 = float(runner.test()[METRIC])
    return dict(
        top1=top1,
        train_seconds=seconds,
        checkpoint=checkpoint,
        epochs=cfg.train_cfg.max_epochs)


def run_method(method: str,
               configs: Sequence[str],
               seed: int,
               work_root: str,
               teacher_ckpt: Optional[str] = None,
               **kwargs) -> dict:
    """Train all stages of one method with one seed; test the last one.

    Args:
        method (str): The method name (or ``'teacher'``/``'vanilla'``).
        configs (Sequence[str]): Its configs, in stage order.
        seed (int): The seed.
        work_root (str): The folder of this seed's runs.
        teacher_ckpt (str, optional): The teacher checkpoint.
        **kwargs: ``data_root``, ``epochs``, ``num_train``,
            ``cfg_options`` of :func:`build_cfg`.

    Returns:
        dict: The run: ``method``, ``seed``, ``top1``, ``train_seconds``
        (all stages), ``configs``, ``epochs`` and ``stages`` (each with
        ``config``, ``work_dir``, ``load_from``, ``checkpoint``,
        ``train_seconds``, ``epochs``); ``load_from`` is the last stage's.
    """
    stages = []
    previous = None
    result = None
    for i, config in enumerate(configs):
        work_dir = osp.join(work_root, _config_name(config))
        cfg = build_cfg(
            config,
            work_dir,
            seed=seed,
            teacher_ckpt=teacher_ckpt,
            load_from=previous,
            **kwargs)
        # only the last stage's student is evaluated
        result = _run(cfg, test=i == len(configs) - 1)
        stages.append(
            dict(
                config=_rel(config),
                work_dir=work_dir,
                load_from=cfg.get('load_from'),
                checkpoint=result['checkpoint'],
                train_seconds=result['train_seconds'],
                epochs=result['epochs']))
        previous = result['checkpoint']
    return dict(
        method=method,
        seed=seed,
        top1=result['top1'],
        train_seconds=sum(s['train_seconds'] for s in stages),
        configs=[s['config'] for s in stages],
        epochs=[s['epochs'] for s in stages],
        load_from=stages[-1]['load_from'],
        checkpoint=stages[-1]['checkpoint'],
        stages=stages)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--methods',
        nargs='+',
        help='method folders of configs/baselines (default: every one with '
        'a digits config)')
    parser.add_argument(
        '--seeds', nargs='+', type=int, default=[0, 1, 2], help='the seeds')
    parser.add_argument(
        '--epochs',
        type=int,
        help="override max_epochs and T_max of every config (default: the "
        "configs' own)")
    parser.add_argument(
        '--num-train',
        type=int,
        help='train on the first N training images only (quick runs)')
    parser.add_argument(
        '--teacher-ckpt',
        help='the digits teacher checkpoint (default: train the teacher '
        'once with seed 0)')
    parser.add_argument('--work-dir', default='work_dirs/compare')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='merged into every config, key=value pairs')
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error('--epochs must be at least 1')
    if args.num_train is not None and args.num_train < 1:
        parser.error('--num-train must be at least 1')
    return args


def main(argv=None) -> List[dict]:
    """Run the comparison; returns :func:`summarize`'s rows."""
    args = parse_args(argv)
    # fail on a bad method name before training anything
    methods = args.methods or available_methods()
    method_stages = {m: stages_for(m) for m in methods}
    if not method_stages:
        raise ValueError(f'no method with a digits config in {BASELINES}')
    if args.teacher_ckpt is not None and not osp.isfile(args.teacher_ckpt):
        raise FileNotFoundError(f'--teacher-ckpt {args.teacher_ckpt}')

    logging.getLogger('mmengine').setLevel(logging.WARNING)
    os.makedirs(args.work_dir, exist_ok=True)
    write_digits_cifar(args.data_root)
    common = dict(
        data_root=args.data_root,
        epochs=args.epochs,
        num_train=args.num_train,
        cfg_options=args.cfg_options)
    teacher_cfg = osp.join(REPO, TEACHER_CFG)
    runs = []
    total = time.perf_counter()

    def report(run):
        runs.append(run)
        seconds = run['train_seconds']
        took = 'given checkpoint' if seconds is None else f'{seconds:.0f} s'
        seed = '-' if run['seed'] is None else run['seed']
        print(
            f"[compare] seed {seed} {run['method']}: top-1 "
            f"{run['top1']:.2f} ({took}; "
            f"{', '.join(_config_name(c) for c in run['configs'])})",
            flush=True)

    teacher_root = osp.join(args.work_dir, 'teacher')
    if args.teacher_ckpt is None:
        run = run_method(TEACHER, [teacher_cfg], 0, teacher_root, **common)
        teacher_ckpt = run['checkpoint']
    else:
        teacher_ckpt = args.teacher_ckpt
        cfg = build_cfg(
            teacher_cfg,
            osp.join(teacher_root, _config_name(teacher_cfg)),
            seed=0,
            load_from=teacher_ckpt,
            **common)
        result = _run(cfg, train=False)
        run = dict(
            method=TEACHER,
            seed=None,
            top1=result['top1'],
            train_seconds=None,
            configs=[TEACHER_CFG],
            epochs=None,
            load_from=teacher_ckpt,
            checkpoint=teacher_ckpt,
            stages=[])
    report(run)

    for seed in args.seeds:
        seed_root = osp.join(args.work_dir, f'seed{seed}')
        report(
            run_method(VANILLA, [osp.join(REPO, STUDENT_CFG)], seed, seed_root,
                       **common))
        for method, configs in method_stages.items():
            report(
                run_method(
                    method,
                    configs,
                    seed,
                    seed_root,
                    teacher_ckpt=teacher_ckpt,
                    **common))

    rows = summarize(runs)
    table = format_markdown(rows)
    epochs = str(args.epochs) if args.epochs is not None \
        else "the configs' own"
    minutes = (time.perf_counter() - total) / 60
    header = (
        f'Baselines on the digits (resnet20 teacher -> resnet8 student), '
        f'seeds {", ".join(map(str, args.seeds))}, epochs: {epochs}' +
        (f', first {args.num_train} training images' if args.num_train else '')
        + f', CPU, {minutes:.1f} min:')
    settings = dict(
        methods=list(method_stages),
        seeds=args.seeds,
        epochs=args.epochs,
        num_train=args.num_train,
        data_root=args.data_root,
        teacher_ckpt=teacher_ckpt,
        cfg_options=args.cfg_options)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(settings=settings, runs=runs, rows=rows), f, indent=1)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(header + '\n\n' + table + '\n')
    plot(
        rows,
        osp.join(args.work_dir, 'results.png'),
        student=_config_name(STUDENT_CFG).split('_')[0],
        teacher=_config_name(TEACHER_CFG).split('_')[0],
        seeds=len(args.seeds),
        epochs=epochs)
    print('\n' + header + '\n\n' + table + '\n', flush=True)
    return rows


if __name__ == '__main__':
    main()
