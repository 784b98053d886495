# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""WCoRD's lambda_1 study on the digits: the weight of the global
(contrastive, GCKT) term from 0 to 1 with the local (optimal-transport,
LCKT) term fixed at lambda_2 = 0.1, over several seeds; a mean +- std table
and a plot (the WCoRD supplement's Table 2 reports the same sweep for
resnet32x4 -> resnet8x4 on CIFAR-100).

The teacher is ``--teacher-ckpt``, else the WCoRD config's own
``model.teacher_ckpt`` (``work_dirs/resnet20_1xb64_digits/epoch_30.pth``,
from the working directory or the repository) when that file exists; its
top-1 is printed. With neither, a teacher is trained once (seed 0, with
``--epochs`` and ``--num-train`` like the students) and the tool says what
it trained and for how long. Each (lambda_1, seed) trains the WCoRD digits
config with
``model.distiller.distill_losses.loss_wcord.gckt_weight = lambda_1``. The
runs go through ``compare_baselines.py``'s runner (same data roots,
epochs, training-subset and checkpoint handling). The work dir gets
``results.json``, ``results.md`` and ``results.png``.

Example (about 2 minutes on 2 CPU cores):

  python tools/analysis/wcord_lambda_sweep.py --lambdas 0 0.8 --seeds 0 \\
      --epochs 1 --num-train 128 --work-dir work_dirs/sweep_quick

The default (9 values x 3 seeds, 30 epochs each) takes about 5 hours on
2 CPU cores: choose fewer values or seeds there.
"""
import argparse
import json
import os
import os.path as osp
import time
from typing import List, Optional, Tuple

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import Config

import mmkd_plus.analysis as analysis
from mmkd_plus.datasets import write_digits_cifar
from mmkd_plus.utils import load_checkpoint_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIG = osp.join(REPO, 'configs', 'wcord',
                  'wcord_neck_resnet20_resnet8_1xb64_digits.py')
TEACHER = osp.join(REPO, 'configs', 'teachers', 'resnet20_1xb64_digits.py')
KEY = 'model.distiller.distill_losses.loss_wcord.gckt_weight'
# the supplement's Table 2 grid
LAMBDAS = [0.0, 0.05, 0.07, 0.1, 0.15, 0.2, 0.5, 0.8, 1.0]


def label(lam: float) -> str:
    return f'lambda_1={lam:g}'


def plot(rows: List[dict], lambdas: List[float], title: str):
    """Mean top-1 against lambda_1 with std error bars; returns the
    matplotlib Figure."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    by_label = {r['method']: r for r in rows}
    points = [by_label[label(lam)] for lam in lambdas]
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ax.errorbar(
        lambdas, [p['mean'] for p in points],
        yerr=[p['std'] or 0.0 for p in points],
        marker='o',
        capsize=4)
    ax.set_xlabel('lambda_1 (GCKT weight), lambda_2 = 0.1')
    ax.set_ylabel('top-1 on the test split (%)')
    ax.set_title(title, fontsize='medium')
    fig.tight_layout()
    return fig


def config_teacher() -> Tuple[str, Optional[str]]:
    """The WCoRD config's ``model.teacher_ckpt`` as written, and the file
    it names (from the working directory, else the repository), or None
    when neither exists."""
    written = Config.fromfile(CONFIG).model.get('teacher_ckpt') or ''
    if not written:
        return written, None
    for path in (written, osp.join(REPO, written)):
        if osp.isfile(path):
            return written, path
    return written, None


def get_teacher(args: argparse.Namespace, common: dict) -> dict:
    """The sweep's teacher: ``checkpoint``, ``top1``, ``source`` and, when
    it was trained here, ``epochs``, ``train_images``, ``train_seconds``.
    Prints which teacher it is and its top-1."""
    written, found = config_teacher()
    key = f'model.teacher_ckpt of {analysis.rel_path(CONFIG)}'
    if args.teacher_ckpt:
        found, source = args.teacher_ckpt, '--teacher-ckpt'
    elif found:
        source = key
    if found:
        load_checkpoint_file(found, source, 'Give another with '
                             '--teacher-ckpt.')
        run = analysis.evaluate_teacher(
            TEACHER, found, osp.join(args.work_dir, analysis.TEACHER,
                                     analysis.config_name(TEACHER)), **common)
        teacher = dict(checkpoint=found, top1=run['top1'], source=source)
        print(f"[sweep] teacher: {found} ({source}), top-1 "
              f"{teacher['top1']:.2f}", flush=True)
        return teacher
    epochs = args.epochs or Config.fromfile(TEACHER).train_cfg.max_epochs
    images = f'the first {args.num_train}' if args.num_train else 'all'
    print(f'[sweep] no teacher checkpoint ({key} = {written!r} does not '
          'exist, no --teacher-ckpt): training a teacher, '
          f'{analysis.rel_path(TEACHER)}, for {epochs} '
          f'epoch{"s" * (epochs != 1)} on '
          f'{images} training images (seed 0, as the students: --epochs '
          'and --num-train)', flush=True)
    run = analysis.run_method(analysis.TEACHER, [TEACHER], 0,
                              osp.join(args.work_dir, analysis.TEACHER),
                              **common)
    stage = run['stages'][-1]
    teacher = dict(
        checkpoint=stage['checkpoint'],
        top1=run['top1'],
        source='trained here',
        epochs=stage['epochs'],
        train_images=stage['train_images'],
        train_seconds=stage['train_seconds'])
    print(f"[sweep] teacher trained here: {teacher['epochs']} epoch"
          f"{'s' * (teacher['epochs'] != 1)} on "
          f"{teacher['train_images']} images in "
          f"{teacher['train_seconds']:.0f} s, top-1 {teacher['top1']:.2f} "
          f"({teacher['checkpoint']})", flush=True)
    return teacher


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--lambdas', nargs='+', type=float, default=LAMBDAS)
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument(
        '--epochs', type=int, help="max_epochs; default: the configs' own")
    parser.add_argument(
        '--num-train', type=int, help='train on the first N images only')
    parser.add_argument(
        '--teacher-ckpt',
        help="a digits teacher checkpoint; default: the WCoRD config's "
        'model.teacher_ckpt if it exists, else one is trained')
    parser.add_argument('--work-dir', default='work_dirs/wcord_lambda_sweep')
    parser.add_argument('--data-root', default='data/digits')
    args = parser.parse_args(argv)
    if any(lam < 0 for lam in args.lambdas):
        parser.error('--lambdas must be non-negative')
    if args.teacher_ckpt and not osp.isfile(args.teacher_ckpt):
        parser.error(f'--teacher-ckpt {args.teacher_ckpt} does not exist')
    return args


def main(argv=None) -> List[dict]:
    """Run the sweep; returns the summary rows (one per lambda_1)."""
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    write_digits_cifar(args.data_root)
    common = dict(
        data_root=args.data_root, epochs=args.epochs,
        num_train=args.num_train)
    start = time.perf_counter()
    teacher = get_teacher(args, common)
    teacher_ckpt = teacher['checkpoint']
    runs = []
    for lam in args.lambdas:
        for seed in args.seeds:
            runs.append(
                analysis.run_method(
                    label(lam), [CONFIG],
                    seed,
                    osp.join(args.work_dir, f'lambda{lam:g}_seed{seed}'),
                    teacher_ckpt=teacher_ckpt,
                    cfg_options={KEY: lam},
                    **common))
            print(f'[sweep] {label(lam)} seed {seed}: top-1 '
                  f"{runs[-1]['top1']:.2f}", flush=True)
    rows = analysis.summarize(runs)
    minutes = (time.perf_counter() - start) / 60
    title = (f'WCoRD on the digits, lambda_2 = 0.1, seeds '
             f'{" ".join(map(str, args.seeds))}')
    table = analysis.format_markdown(rows)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(
            dict(settings=vars(args), teacher=teacher, runs=runs, rows=rows),
            f,
            indent=1)
    about = (f"Teacher: {teacher['checkpoint']} ({teacher['source']}), "
             f"top-1 {teacher['top1']:.2f}")
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(f'{title} ({minutes:.1f} min):\n\n{about}\n\n{table}\n')
    plot(rows, args.lambdas, title).savefig(
        osp.join(args.work_dir, 'results.png'), dpi=100)
    print(f'\n{title} ({minutes:.1f} min):\n\n{about}\n\n{table}',
          flush=True)
    return rows


if __name__ == '__main__':
    main()
