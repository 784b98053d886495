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
import json
import logging
import os
import os.path as osp
import sys
import time
from typing import List

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import DictAction

from mmkd_plus.analysis import (PROJECT, TEACHER, VANILLA, build_cfg, chart,
                                check_run_args, check_sweep_keys,
                                check_val_classes,
                                config_name, digits_methods, evaluate_teacher,
                                first_stages, format_markdown, grid_points,
                                parse_sweep, point_dir, point_label,
                                positive_int, rel_path, run_method, set_epochs,
                                stage_chain, summarize, sweep_keys)
from mmkd_plus.datasets import write_digits_cifar
from mmkd_plus.datasets.digits import NUM_TRAIN

__all__ = [
    'stage_chain', 'first_stages', 'digits_methods', 'parse_sweep',
    'sweep_keys', 'grid_points', 'point_label', 'check_sweep_keys',
    'check_val_classes', 'set_epochs', 'build_cfg', 'run_method',
    'evaluate_teacher', 'summarize', 'format_markdown', 'chart', 'main'
]

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
        type=positive_int,
        help='max_epochs (and T_max) of the students and of the first '
        "stages that train one; default: the configs' own")
    parser.add_argument(
        '--num-train',
        type=positive_int,
        help='train the students on the first N images only')
    parser.add_argument(
        '--teacher-epochs',
        type=positive_int,
        help='max_epochs of the teacher and of the stages that train its '
        "head (SSKD's stage 1); default: the configs' own")
    parser.add_argument(
        '--teacher-num-train',
        type=positive_int,
        help='train the teacher and the stages that train its head on the '
        'first N images; default: every training image (before the '
        'held-out ones with --val)')
    parser.add_argument(
        '--val',
        type=positive_int,
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
    check_run_args(parser, args, ('num_train', 'teacher_num_train'))
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
    teacher_cfg, student_cfg = (osp.join(PROJECT, c) for c in pairs.pop())
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
                             osp.join(teacher_dir, config_name(teacher_cfg)),
                             **common)
        ]
    else:
        runs = [
            run_method(TEACHER, [teacher_cfg], 0, teacher_dir, **common,
                       **teacher_side)
        ]
    teacher_ckpt = runs[0]['stages'][-1]['checkpoint']
    print(
        f"[compare] teacher: top-1 ({split}) {runs[0]['top1']:.2f}",
        flush=True)
    for seed in args.seeds:
        seed_root = osp.join(args.work_dir, f'seed{seed}')
        cache: dict = {}
        jobs = [(VANILLA, dict(configs=[student_cfg]), {}, None)]
        for name, method in methods.items():
            for i, point in enumerate(points):
                jobs.append((name, method, point,
                             point_dir(i, point) if point else None))
        for name, method, point, folder in jobs:
            runs.append(
                run_method(
                    name,
                    method['configs'],
                    seed,
                    seed_root,
                    links=method.get('links'),
                    teacher_side=teacher_side,
                    point=point,
                    point_dir=folder,
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
    title = (
        f'Digits, {config_name(teacher_cfg)} -> '
        f'{config_name(student_cfg)}, seeds '
        f'{" ".join(map(str, args.seeds))}, epochs: {epochs}' +
        (f', {args.num_train} training images' if args.num_train else '') +
        f'; {where}')
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
        command=' '.join(['python', rel_path(osp.abspath(__file__))] +
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
