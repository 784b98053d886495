# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""The demo: train a teacher and distil students on the bundled digits.

    python tools/demo.py [--work-dir work_dirs/demo] [--only NAME ...]

It writes the scikit-learn digits in CIFAR format (data/digits), trains the
teacher, a vanilla student and each distilled student of ``ROWS`` on the
CPU, then prints a table (model, parameters, top-1 on the test split, train
time) and saves it as results.md and results.json in the work dir.
"""
import argparse
import json
import logging
import os.path as osp
import sys
import time
from typing import Dict, List, NamedTuple, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmkd_plus.datasets import write_digits_cifar  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


class Row(NamedTuple):
    """One line of the demo table."""
    name: str  # shown in the table, and the --only key
    config: str  # relative to the repository root
    teacher: Optional[str] = None  # name of the row whose checkpoint it uses


# A method joins the demo by adding its row here (and its digits config).
ROWS: List[Row] = [
    Row('teacher', 'configs/teachers/resnet20_1xb64_digits.py'),
    Row('vanilla student', 'configs/teachers/resnet8_1xb64_digits.py'),
    Row('KD student', 'configs/baselines/kd/'
        'kd_logits_resnet20_resnet8_1xb64_digits.py', teacher='teacher'),
    Row('QuEST student', 'configs/quest/'
        'quest_layer3_resnet20_resnet8_1xb64_digits.py', teacher='teacher'),
    Row('WCoRD student', 'configs/wcord/'
        'wcord_neck_resnet20_resnet8_1xb64_digits.py', teacher='teacher'),
]


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def run_row(row: Row, work_root: str, data_root: str,
            checkpoints: Dict[str, str]) -> dict:
    """Train one row's config and evaluate it on the test split."""
    cfg = Config.fromfile(osp.join(REPO, row.config))
    name = osp.splitext(osp.basename(row.config))[0]
    cfg.work_dir = osp.join(work_root, name)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    cfg.log_level = 'WARNING'
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    if row.teacher is not None:
        cfg.model.teacher_ckpt = checkpoints[row.teacher]
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    metrics = runner.test()
    model = runner.model
    student = getattr(model, 'student', model)
    checkpoints[row.name] = osp.join(
        cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    return dict(
        model=row.name,
        config=row.config,
        network=type(student.backbone).__name__ + (
            f'-{student.backbone.depth}'
            if hasattr(student.backbone, 'depth') else ''),
        params=_count(student),
        top1=float(metrics['accuracy/top1']),
        train_seconds=seconds,
        epochs=cfg.train_cfg.max_epochs)


def format_table(results: List[dict]) -> str:
    lines = [
        '| model | network | params | top-1 (test) | train time | config |',
        '|---|---|---:|---:|---:|---|',
    ]
    for r in results:
        lines.append(
            f"| {r['model']} | {r['network']} | {r['params'] / 1e3:.1f}K | "
            f"{r['top1']:.2f} | {r['train_seconds']:.0f} s | "
            f"`{r['config']}` |")
    return '\n'.join(lines)


def main(argv=None) -> List[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument(
        '--only',
        nargs='+',
        choices=[r.name for r in ROWS],
        help='run only these rows (and the rows they need)')
    args = parser.parse_args(argv)

    write_digits_cifar(args.data_root)
    wanted = set(args.only or [r.name for r in ROWS])
    wanted |= {r.teacher for r in ROWS if r.name in wanted and r.teacher}
    checkpoints: Dict[str, str] = {}
    results = []
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    total = time.perf_counter()
    for row in ROWS:
        if row.name not in wanted:
            continue
        print(f'[demo] training {row.name}: {row.config}', flush=True)
        results.append(run_row(row, args.work_dir, args.data_root,
                               checkpoints))
        r = results[-1]
        print(f"[demo] {row.name}: top-1 {r['top1']:.2f} in "
              f"{r['train_seconds']:.0f} s", flush=True)
    table = format_table(results)
    minutes = (time.perf_counter() - total) / 60
    header = (f'Digits demo (scikit-learn digits as 32x32 CIFAR files, '
              f'1438 train / 359 test images), CPU, {minutes:.1f} min:')
    print('\n' + header + '\n\n' + table + '\n')
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(header + '\n\n' + table + '\n')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    return results


if __name__ == '__main__':
    main()
