# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Train the fairness methods on DigitsS over several seeds; write the
mean ± std table of top-1, DEO_M and DEO_A.

DigitsS is the digits analogue of CIFAR-10S (grey versus coloured digits,
skew 0.8). The methods are those of the MFD paper's tables
(``configs/mfd/*_cifarnet_half_1xb128_digits_s.py``): the vanilla student
(scratch), HKD, FitNet, AT, NST, SS, SS+HKD, SS+FitNet, AD, AD+HKD,
AD+FitNet and MFD. The teacher (the scratch CIFARNet, half width) is
trained once with seed 0 unless ``--teacher-ckpt`` is given; then, for each
seed, every method. The seed sets ``randomness.seed`` and the dataset's
``seed`` (which digits are grey), as the MFD code does. ``--epochs E`` sets
every schedule's length (the FitNet leaves keep their hint stage in
proportion: E/2 hint epochs before E).

By default each run is tested once at the end on the 718 test samples
(every test digit grey and coloured); validation during training is off,
so the plateau schedule keeps the LR constant (with patience 10 it seldom
steps in 20 epochs). With ``--val N`` the last N training digits are held
out (``DigitsS(holdout=N)``: the skew of the rest stays 0.8): every run
trains on the rest, is validated every epoch on the held-out digits in both
versions (so the plateau schedules step on the validation loss, never on
the test set) and reports its final metrics on them; the test split is not
used.

``--sweep KEY=V1,V2,...`` (``--cfg-options`` keys; several give their
cross product; ``KEY1+KEY2=(a1,a2),(b1,b2)`` change together) runs every
selected method but the vanilla student at every grid point with every
seed, one row per point; a key a swept method's config lacks is an
error.

The work dir gets ``seed<S>/<config>`` run folders (a swept run
``seed<S>/<point>/<config>``), ``results.json`` (settings, every run, the
rows) and ``results.md`` (per method and point: mean ± sample std over the
seeds of top-1, DEO_M and DEO_A, in %). Whether a method lowers DEO here is
a measurement, not a claim.
"""
import argparse
import copy
import json
import logging
import os
import os.path as osp
import statistics
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import Config

from mmkd_plus.analysis import (build_cfg, check_run_args, check_sweep_keys,
                                check_val_classes, config_name, grid_points,
                                point_dir, point_label, positive_int,
                                rel_path)
from mmkd_plus.datasets import write_digits_cifar
from mmkd_plus.datasets.digits import NUM_TRAIN

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

__all__ = ['CONFIGS', 'METRICS', 'make_cfg', 'run', 'summarize',
           'format_markdown', 'main']

MFD = osp.join(REPO, 'configs', 'mfd')
# the MFD tables' rows, in their order (the leaves' file prefixes)
CONFIGS = {
    'teacher': 'scratch_cifarnet_half_1xb128_digits_s.py',
    'vanilla': 'scratch_cifarnet_half_1xb128_digits_s.py',
    'hkd': 'hkd_cifarnet_half_1xb128_digits_s.py',
    'fitnet': 'fitnet_cifarnet_half_1xb128_digits_s.py',
    'at': 'at_cifarnet_half_1xb128_digits_s.py',
    'nst': 'nst_cifarnet_half_1xb128_digits_s.py',
    'ss': 'ss_cifarnet_half_1xb128_digits_s.py',
    'ss_hkd': 'ss_hkd_cifarnet_half_1xb128_digits_s.py',
    'ss_fitnet': 'ss_fitnet_cifarnet_half_1xb128_digits_s.py',
    'ad': 'ad_cifarnet_half_1xb128_digits_s.py',
    'ad_hkd': 'ad_hkd_cifarnet_half_1xb128_digits_s.py',
    'ad_fitnet': 'ad_fitnet_cifarnet_half_1xb128_digits_s.py',
    'mfd': 'mfd_cifarnet_half_1xb128_digits_s.py',
}
UNSWEPT = ('teacher', 'vanilla')
METRICS = ('top1', 'DEO_M', 'DEO_A')
EPILOG = """defaults: the twelve methods (every one of the MFD table), seeds
0 1 2, 20 epochs (FitNet, SS+FitNet: 10 hint + 20), all 1,438 training
digits, the test split; work dir work_dirs/mfd_seeds.

quick look (a few minutes): --methods vanilla mfd --seeds 0 1 --epochs 2
--num-train 480

MFD's weight (lambda/2) chosen on the last 287 training digits:

  python tools/analysis/mfd_seeds.py --methods mfd \\
      --sweep model.distiller.distill_losses.loss_mfd.loss_weight=0.5,1.5,5 \\
      --seeds 0 1 2 --val 287 --work-dir work_dirs/mfd_val_lambda
"""


def _set_val(cfg: Config, source: Config, holdout: int) -> None:
    """Hold out the last ``holdout`` training digits: train on the rest,
    validate every epoch and test on them (both versions)."""
    cfg.train_dataloader.dataset.holdout = holdout
    loader = copy.deepcopy(source.test_dataloader)
    loader.dataset.update(
        data_root=cfg.test_dataloader.dataset.data_root,
        split='val',
        holdout=holdout)
    cfg.val_dataloader = loader
    cfg.test_dataloader = copy.deepcopy(loader)
    cfg.val_evaluator = copy.deepcopy(source.val_evaluator)
    cfg.val_cfg = copy.deepcopy(source.val_cfg)
    cfg.train_cfg.val_interval = 1


def make_cfg(method: str,
             seed: int,
             work_root: str,
             teacher_ckpt=None,
             val: Optional[int] = None,
             point: Optional[Dict[str, Any]] = None,
             point_dir: Optional[str] = None,
             **kwargs) -> Config:
    """The config of one run of ``method`` with ``seed``.

    Args:
        val (int, optional): Hold out the last ``val`` training digits
            (train on the rest, validate every epoch and test on them).
        point (dict, optional): A sweep's grid point (config keys).
        point_dir (str, optional): The run's folder under ``work_root``.
        **kwargs: ``build_cfg``'s ``data_root``, ``epochs``, ``num_train``.
    """
    config = osp.join(MFD, CONFIGS[method])
    cfg = build_cfg(config, osp.join(work_root, point_dir or '',
                                     config_name(config)), seed=seed,
                    teacher_ckpt=teacher_ckpt, options=point, **kwargs)
    cfg.train_dataloader.dataset.seed = seed
    if val:
        _set_val(cfg, Config.fromfile(config), val)
    return cfg


def run(method: str, seed: int, work_root: str, **kwargs) -> dict:
    """Train one method with one seed and evaluate it (the test split, or
    with ``val`` the held-out training digits); ``kwargs`` as
    :func:`make_cfg`'s."""
    from mmengine.runner import Runner
    cfg = make_cfg(method, seed, work_root, **kwargs)
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    metrics = runner.test()
    return dict(
        method=method,
        seed=seed,
        point=dict(kwargs.get('point') or {}),
        config=rel_path(osp.join(MFD, CONFIGS[method])),
        checkpoint=osp.join(cfg.work_dir,
                            f'epoch_{cfg.train_cfg.max_epochs}.pth'),
        epochs=cfg.train_cfg.max_epochs,
        train_images=len(runner.train_dataloader.dataset),
        eval_samples=len(runner.test_dataloader.dataset),
        train_seconds=seconds,
        **{m: float(metrics[f'fairness/{m}']) for m in METRICS})


def summarize(runs: Sequence[dict]) -> List[dict]:
    """Mean and sample std (None for one run) per method, grid point and
    metric; rows in the order of :data:`CONFIGS`, a method's points in the
    order of the runs."""
    groups: Dict[tuple, List[dict]] = {}
    for r in runs:
        point = json.dumps(r.get('point') or {}, sort_keys=True)
        groups.setdefault((r['method'], point), []).append(r)
    rows = []
    for method in CONFIGS:
        for (name, _), group in groups.items():
            if name != method:
                continue
            point = group[0].get('point') or {}
            label = point_label(point)
            row = dict(method=method, point=point,
                       label=f'{method} ({label})' if point else method,
                       n=len(group), seeds=[r['seed'] for r in group],
                       config=group[0]['config'])
            for m in METRICS:
                values = [r[m] for r in group]
                row[m] = (statistics.mean(values),
                          statistics.stdev(values) if len(values) > 1 else
                          None)
            rows.append(row)
    return rows


def format_markdown(rows: Sequence[dict], split: str = 'test') -> str:
    """The table of :func:`summarize`'s rows; ``split`` names what the
    metrics were measured on (``'test'`` or ``'val'``)."""
    lines = [
        f'| method | top-1 ({split}, %) | DEO_M (%) | DEO_A (%) | seeds | '
        'config |', '|---|---:|---:|---:|---:|---|'
    ]
    for r in rows:
        cells = []
        for m in METRICS:
            mean, std = r[m]
            spread = '' if std is None else f' ± {std:.2f}'
            cells.append(f'{mean:.2f}{spread}')
        lines.append(f"| {r.get('label', r['method'])} | "
                     f"{' | '.join(cells)} | {r['n']} | "
                     f"`{config_name(r['config'])}` |")
    return '\n'.join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG)
    parser.add_argument('--methods', nargs='+',
                        default=[m for m in CONFIGS if m != 'teacher'],
                        choices=[m for m in CONFIGS if m != 'teacher'])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--epochs', type=positive_int,
                        help="the schedule's length of every run; default "
                        "the configs' own (20)")
    parser.add_argument('--num-train', type=positive_int,
                        help='train on the first N digits only')
    parser.add_argument(
        '--val', type=positive_int, metavar='N',
        help='hold out the last N training digits: train on the rest, '
        'validate every epoch and report on them (the test split unused)')
    parser.add_argument(
        '--sweep', nargs='+', metavar='KEY=V1,V2',
        help='grid of config keys (cfg-options form; several: their cross '
        'product) for every method but vanilla; one row per point')
    parser.add_argument('--teacher-ckpt',
                        help='a trained DigitsS teacher (skip training it; '
                        'with --val it must not have seen the held-out '
                        'digits)')
    parser.add_argument('--work-dir', default='work_dirs/mfd_seeds')
    parser.add_argument('--data-root', default='data/digits')
    args = parser.parse_args(argv)
    check_run_args(parser, args)
    return args


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    swept = [m for m in args.methods if m not in UNSWEPT]
    if args.sweep:
        if not swept:
            raise ValueError('--sweep: no selected method to sweep (the '
                             'vanilla student is not swept)')
        check_sweep_keys(args.sweep, [osp.join(MFD, CONFIGS[m])
                                      for m in swept])
    points = grid_points(args.sweep)
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    os.makedirs(args.work_dir, exist_ok=True)
    write_digits_cifar(args.data_root)
    val_counts = check_val_classes(args.data_root,
                                   args.val) if args.val else None
    split = 'val' if args.val else 'test'
    common = dict(data_root=args.data_root, epochs=args.epochs,
                  num_train=args.num_train, val=args.val)
    start = time.perf_counter()
    runs = []
    teacher_ckpt = args.teacher_ckpt
    if teacher_ckpt is None:
        runs.append(run('teacher', 0, osp.join(args.work_dir, 'teacher'),
                        **common))
        teacher_ckpt = runs[-1]['checkpoint']
    for seed in args.seeds:
        for method in args.methods:
            grid = points if method in swept else [{}]
            for i, point in enumerate(grid):
                runs.append(
                    run(method, seed, osp.join(args.work_dir, f'seed{seed}'),
                        teacher_ckpt=teacher_ckpt, point=point,
                        point_dir=point_dir(i, point) if point else None,
                        **common))
                r = runs[-1]
                label = f' ({point_label(point)})' if point else ''
                print(f'[mfd_seeds] seed {seed} {method}{label}: top-1 '
                      f"({split}) {r['top1']:.2f} DEO_M {r['DEO_M']:.2f} "
                      f"DEO_A {r['DEO_A']:.2f}", flush=True)
    rows = summarize(runs)
    minutes = (time.perf_counter() - start) / 60
    where = (f'metrics on the last {args.val} training digits in both '
             'versions (validation; no run trained on them, the test split '
             'unused)' if args.val else 'metrics on the 718 test samples')
    title = (f"DigitsS, seeds {' '.join(map(str, args.seeds))}, epochs: "
             f"{args.epochs or 20}" +
             (f', {args.num_train} training digits' if args.num_train else '')
             + f'; {where} ({minutes:.1f} min)')
    table = format_markdown(rows, split)
    settings = dict(
        vars(args), teacher_ckpt=teacher_ckpt, minutes=minutes, split=split,
        val_images=[NUM_TRAIN - args.val, NUM_TRAIN] if args.val else None,
        val_class_counts=val_counts, points=points,
        command=' '.join(['python', rel_path(osp.abspath(__file__))] +
                         list(sys.argv[1:] if argv is None else argv)))
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(settings=settings, runs=runs, rows=rows), f, indent=1)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(f'{title}:\n\n{table}\n')
    print(f'\n{title}:\n\n{table}', flush=True)
    return rows


if __name__ == '__main__':
    main()
