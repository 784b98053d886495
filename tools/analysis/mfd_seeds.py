# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Train the fairness methods on DigitsS over several seeds; write the
mean ± std table of top-1, DEO_M and DEO_A.

DigitsS is the digits analogue of CIFAR-10S (grey versus coloured digits,
skew 0.8). The teacher (the scratch CIFARNet, half width) is trained once
with seed 0 unless ``--teacher-ckpt`` is given; then, for each seed, the
vanilla student (the same scratch config), HKD, SS, AD and MFD
(``configs/mfd/*_digits_s.py``). The seed sets ``randomness.seed`` and the
dataset's ``seed`` (which digits are grey), as the MFD code does. Each run
is tested once at the end on the 718 test samples (every test digit grey
and coloured); validation during training is off, so the plateau schedule
keeps the LR constant (with patience 10 it seldom steps in 20 epochs).

The work dir gets ``seed<S>/<config>`` run folders, ``results.json``
(settings and every run) and ``results.md`` (per method: mean ± sample
std over the seeds of top-1, DEO_M and DEO_A, in %). Whether a method
lowers DEO here is a measurement, not a claim.
"""
import argparse
import json
import logging
import os
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import mmkd_plus  # noqa: E402,F401
from compare_baselines import _name, build_cfg  # noqa: E402

from mmkd_plus.datasets import write_digits_cifar  # noqa: E402

MFD = osp.join(REPO, 'configs', 'mfd')
CONFIGS = {
    'teacher': 'scratch_cifarnet_half_1xb128_digits_s.py',
    'vanilla': 'scratch_cifarnet_half_1xb128_digits_s.py',
    'hkd': 'hkd_cifarnet_half_1xb128_digits_s.py',
    'ss': 'ss_cifarnet_half_1xb128_digits_s.py',
    'ad': 'ad_cifarnet_half_1xb128_digits_s.py',
    'mfd': 'mfd_cifarnet_half_1xb128_digits_s.py',
}
METRICS = ('top1', 'DEO_M', 'DEO_A')


def run(method: str, seed: int, work_root: str, teacher_ckpt=None,
        **kwargs) -> dict:
    """Train one method with one seed and test it."""
    from mmengine.runner import Runner
    config = osp.join(MFD, CONFIGS[method])
    cfg = build_cfg(config, osp.join(work_root, _name(config)), seed=seed,
                    teacher_ckpt=teacher_ckpt, **kwargs)
    cfg.train_dataloader.dataset.seed = seed
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    metrics = runner.test()
    return dict(
        method=method,
        seed=seed,
        config=osp.relpath(config, REPO),
        checkpoint=osp.join(cfg.work_dir,
                            f'epoch_{cfg.train_cfg.max_epochs}.pth'),
        train_seconds=seconds,
        **{m: float(metrics[f'fairness/{m}']) for m in METRICS})


def summarize(runs: Sequence[dict]) -> List[dict]:
    """Mean and sample std (None for one run) per method and metric."""
    groups: Dict[str, List[dict]] = {}
    for r in runs:
        groups.setdefault(r['method'], []).append(r)
    rows = []
    for method in CONFIGS:
        if method not in groups:
            continue
        group = groups[method]
        row = dict(method=method, n=len(group), config=group[0]['config'])
        for m in METRICS:
            values = [r[m] for r in group]
            row[m] = (statistics.mean(values),
                      statistics.stdev(values) if len(values) > 1 else None)
        rows.append(row)
    return rows


def format_markdown(rows: Sequence[dict]) -> str:
    lines = [
        '| method | top-1 (%) | DEO_M (%) | DEO_A (%) | seeds | config |',
        '|---|---:|---:|---:|---:|---|'
    ]
    for r in rows:
        cells = []
        for m in METRICS:
            mean, std = r[m]
            cells.append(f'{mean:.2f}' + ('' if std is None else
                                         f' ± {std:.2f}'))
        lines.append(f"| {r['method']} | {' | '.join(cells)} | {r['n']} | "
                     f"`{_name(r['config'])}` |")
    return '\n'.join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='quick look (a few minutes): --seeds 0 1 --epochs 2 '
        '--num-train 480')
    parser.add_argument('--methods', nargs='+',
                        default=['vanilla', 'hkd', 'ss', 'ad', 'mfd'],
                        choices=[m for m in CONFIGS if m != 'teacher'])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--epochs', type=int,
                        help="max_epochs of every run; default the configs' "
                        'own (20)')
    parser.add_argument('--num-train', type=int,
                        help='train on the first N digits only')
    parser.add_argument('--teacher-ckpt',
                        help='a trained DigitsS teacher (skip training it)')
    parser.add_argument('--work-dir', default='work_dirs/mfd_seeds')
    parser.add_argument('--data-root', default='data/digits')
    args = parser.parse_args(argv)
    if args.teacher_ckpt and not osp.isfile(args.teacher_ckpt):
        parser.error(f'--teacher-ckpt {args.teacher_ckpt} does not exist')
    return args


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    os.makedirs(args.work_dir, exist_ok=True)
    write_digits_cifar(args.data_root)
    common = dict(data_root=args.data_root, epochs=args.epochs,
                  num_train=args.num_train)
    start = time.perf_counter()
    runs = []
    teacher_ckpt = args.teacher_ckpt
    if teacher_ckpt is None:
        runs.append(run('teacher', 0, osp.join(args.work_dir, 'teacher'),
                        **common))
        teacher_ckpt = runs[-1]['checkpoint']
    for seed in args.seeds:
        for method in args.methods:
            runs.append(run(method, seed,
                            osp.join(args.work_dir, f'seed{seed}'),
                            teacher_ckpt=teacher_ckpt, **common))
            r = runs[-1]
            print(f"[mfd_seeds] seed {seed} {method}: top-1 {r['top1']:.2f}"
                  f" DEO_M {r['DEO_M']:.2f} DEO_A {r['DEO_A']:.2f}",
                  flush=True)
    rows = summarize(runs)
    minutes = (time.perf_counter() - start) / 60
    title = (f"DigitsS, seeds {' '.join(map(str, args.seeds))}, epochs: "
             f"{args.epochs or 20}" +
             (f', {args.num_train} training digits' if args.num_train else '')
             + f' ({minutes:.1f} min)')
    table = format_markdown(rows)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(settings=dict(vars(args), teacher_ckpt=teacher_ckpt,
                                     minutes=minutes), runs=runs,
                       rows=rows), f, indent=1)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(f'{title}:\n\n{table}\n')
    print(f'\n{title}:\n\n{table}', flush=True)
    return rows


if __name__ == '__main__':
    main()
