# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""The demo: train a teacher and distil students on the bundled digits.

    python tools/demo.py [--epochs N] [--share F] [--only NAME ...]
        [--work-dir work_dirs/demo] [--data-root data/digits]

It writes the scikit-learn digits in CIFAR format (data/digits), trains the
teacher on the whole training split, then the vanilla student and each
distilled student of ``ROWS`` on a small share of it (``--share``, the
first 10 % by default: 143 images), which is where a teacher's knowledge
shows. On the whole split every student ends within a few test images of
99 %, too close to tell methods apart. It prints one progress line about
every tenth of a row (epoch, running loss, time), then a table (model,
parameters, top-1 on the 359 test images, train time), what one test image
is worth, and saves the table as results.md and results.json in the work
dir.

The teacher is written where the digits distillation configs read it
(their ``model.teacher_ckpt``, ``work_dirs/resnet20_1xb64_digits/
epoch_30.pth``), so after the demo ``python tools/train.py
configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py`` finds it.
``--epochs N`` (a quick look: every row trains N epochs) keeps that teacher
apart, under the work dir.
"""
import argparse
import json
import logging
import os
import os.path as osp
import sys
import time
from typing import Dict, List, NamedTuple, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmkd_plus.checks import set_data_root  # noqa: E402
from mmkd_plus.datasets import write_digits_cifar  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
NUM_TEST = 359  # test images of the digits: one is worth 100/359 points


class Row(NamedTuple):
    """One line of the demo table.

    A method joins the demo with one ``Row`` (and its digits config):
    ``name`` is shown in the table and is the ``--only`` key; ``config`` is
    relative to the repository root; ``teacher`` names the row whose
    checkpoint becomes ``model.teacher_ckpt``; ``load_from`` names a row
    whose checkpoint this one starts from (the second stage of a two-stage
    method); ``options`` are extra config keys (``--cfg-options`` form);
    ``whole_split`` trains on the whole training split (the teacher) instead
    of the students' share.
    """
    name: str
    config: str
    teacher: Optional[str] = None
    load_from: Optional[str] = None
    options: Optional[dict] = None
    whole_split: bool = False
    epochs: Optional[int] = None
    ckpt_options: Optional[Dict[str, str]] = None


ROWS: List[Row] = [
    Row('teacher', 'configs/teachers/resnet20_1xb64_digits.py',
        whole_split=True),
    Row('vanilla student', 'configs/teachers/resnet8_1xb64_digits.py'),
    Row('KD student', 'configs/baselines/kd/'
        'kd_logits_resnet20_resnet8_1xb64_digits.py', teacher='teacher'),
    Row('QuEST student', 'configs/quest/'
        'quest_layer3_resnet20_resnet8_1xb64_digits.py', teacher='teacher'),
    Row('WCoRD student', 'configs/wcord/'
        'wcord_neck_resnet20_resnet8_1xb64_digits.py', teacher='teacher'),
    # SSKD: stage 1 trains the teacher's self-supervised head (its top-1 is
    # the teacher's own), stage 2 the student with it
    Row('SSKD teacher head (stage 1)', 'configs/sskd/'
        'sskd_stage1_resnet20_1xb64_digits.py', teacher='teacher',
        whole_split=True),
    Row('SSKD student', 'configs/sskd/sskd_resnet20_resnet8_1xb64_digits.py',
        teacher='teacher',
        ckpt_options={'model.teacher_ss_ckpt': 'SSKD teacher head (stage 1)'}),
    # MFD on the digits analogue of CIFAR-10S (gray vs colour digits, skew
    # 0.8): its own teacher (same network), then the fair student; both on
    # the whole split (the balanced sampler needs every (group, class) cell)
    Row('MFD teacher (DigitsS)', 'configs/mfd/'
        'scratch_cifarnet_half_1xb128_digits_s.py', whole_split=True,
        epochs=10),
    Row('MFD student (DigitsS)', 'configs/mfd/'
        'mfd_cifarnet_half_1xb128_digits_s.py',
        teacher='MFD teacher (DigitsS)', whole_split=True, epochs=10),
]


class ProgressHook(Hook):
    """One line about every tenth of a row: epoch, running loss, time."""

    priority = 'LOW'

    def __init__(self, name: str, lines: int = 10) -> None:
        self.name = name
        self.lines = lines
        self.start = time.perf_counter()
        self.losses: List[float] = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if outputs and 'loss' in outputs:
            loss = outputs['loss']
            self.losses.append(
                float(loss.detach() if hasattr(loss, 'detach') else loss))

    def after_train_epoch(self, runner) -> None:
        # the loop counts the epoch as done after this hook
        epoch, total = runner.epoch + 1, runner.max_epochs
        every = max(1, total // self.lines)
        if epoch % every and epoch != total:
            return
        # the mean loss of the iterations since the last line
        loss = sum(self.losses) / max(1, len(self.losses))
        self.losses = []
        elapsed = time.perf_counter() - self.start
        eta = elapsed / epoch * (total - epoch)
        print(f'[demo]   {self.name}: epoch {epoch:>3}/{total}  loss '
              f'{loss:.3f}  {elapsed:5.0f} s (about {eta:.0f} s to go)',
              flush=True)


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def configured_teacher_ckpt() -> Optional[str]:
    """Where the digits distillation configs read the teacher."""
    for row in ROWS:
        if row.teacher is not None:
            cfg = Config.fromfile(osp.join(REPO, row.config))
            return cfg.model.get('teacher_ckpt')
    return None


def work_dir_of(row: Row, work_root: str, epochs: Optional[int]) -> str:
    """The work dir of a row: the teacher the digits distillation configs
    read (the row whose config names that directory, trained at its full
    length) goes there; every other row under ``work_root``, one directory
    per config, so no row overwrites another's checkpoint."""
    stem = osp.splitext(osp.basename(row.config))[0]
    target = configured_teacher_ckpt()
    if (target and row.whole_split and epochs is None and row.epochs is None
            and osp.basename(osp.dirname(target)) == stem):
        return osp.dirname(target)
    return osp.join(work_root, stem)


def build_cfg(row: Row, work_dir: str, data_root: str, share_images: int,
              epochs: Optional[int], checkpoints: Dict[str, str]):
    """The row's config with the demo's data, length and checkpoints."""
    cfg = Config.fromfile(osp.join(REPO, row.config))
    cfg.work_dir = work_dir
    set_data_root(cfg, data_root)
    if not row.whole_split:
        cfg.train_dataloader.dataset.indices = share_images
    if epochs is not None:
        cfg.train_cfg.max_epochs = epochs
        for sched in (cfg.param_scheduler if isinstance(
                cfg.param_scheduler, list) else [cfg.param_scheduler]):
            if 'T_max' in sched:
                sched.T_max = epochs
    cfg.train_cfg.val_interval = cfg.train_cfg.max_epochs  # once, at the end
    cfg.log_level = 'WARNING'
    cfg.default_hooks.checkpoint.interval = cfg.train_cfg.max_epochs
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    if row.teacher is not None:
        cfg.model.teacher_ckpt = checkpoints[row.teacher]
    if row.load_from is not None:
        cfg.load_from = checkpoints[row.load_from]
    for key, name in (row.ckpt_options or {}).items():
        cfg.merge_from_dict({key: checkpoints[name]})
    if row.options:
        cfg.merge_from_dict(row.options)
    return cfg


def run_row(row: Row, cfg, checkpoints: Dict[str, str]) -> dict:
    """Train one row's config and evaluate it on the test split."""
    runner = Runner.from_cfg(cfg)
    runner.register_hook(ProgressHook(row.name))
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    metrics = runner.test()
    model = runner.model
    # the distilled student; a stage that trains no student (SSKD's stage
    # 1) reports the network it evaluates
    student = getattr(model, 'student', None) or getattr(
        model, 'architecture', None) or getattr(model, 'teacher', model)
    backbone = getattr(student, 'backbone', student)
    checkpoints[row.name] = osp.join(
        cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    # the fairness rows (MFD) report top-1 and DEO through FairnessMetric
    top1 = metrics.get('accuracy/top1', metrics.get('fairness/top1'))
    return dict(
        model=row.name,
        config=row.config,
        network=type(backbone).__name__ + (
            f'-{backbone.depth}' if hasattr(backbone, 'depth') else ''),
        params=_count(student),
        train_images=len(runner.train_dataloader.dataset),
        top1=float(top1),
        deo_m=metrics.get('fairness/DEO_M'),
        deo_a=metrics.get('fairness/DEO_A'),
        train_seconds=seconds,
        epochs=cfg.train_cfg.max_epochs)


def format_table(results: List[dict]) -> str:
    lines = [
        '| model | network | params | train images | top-1 (test) | '
        'DEO_M / DEO_A | train time | config |',
        '|---|---|---:|---:|---:|---:|---:|---|',
    ]
    for r in results:
        deo = '–' if r.get('deo_m') is None else \
            f"{r['deo_m']:.2f} / {r['deo_a']:.2f}"
        lines.append(
            f"| {r['model']} | {r['network']} | {r['params'] / 1e3:.1f}K | "
            f"{r['train_images']} | {r['top1']:.2f} | {deo} | "
            f"{r['train_seconds']:.0f} s | `{r['config']}` |")
    return '\n'.join(lines)


def image_worth() -> str:
    return (f'One test image is worth {100 / NUM_TEST:.2f} points of top-1 '
            f'({NUM_TEST} test images). On the default share a student\'s '
            'top-1 varies by 2-4 points from seed to seed (3 seeds, see the '
            'README): compare methods with tools/analysis/'
            'compare_baselines.py --seeds 0 1 2 --num-train 143 --epochs 60.')


def main(argv=None) -> List[dict]:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument(
        '--epochs', type=int,
        help='train every row this many epochs (a quick look); default: '
        'the teacher its config\'s 30, the students --student-epochs')
    parser.add_argument(
        '--share', type=float, default=0.1,
        help='share of the training split the students see (the first '
        'images of it); default 0.1')
    parser.add_argument(
        '--student-epochs', type=int, default=60,
        help='epochs of the students on their share; default 60')
    parser.add_argument(
        '--only',
        nargs='+',
        choices=[r.name for r in ROWS],
        help='run only these rows (and the rows they need)')
    args = parser.parse_args(argv)
    if not 0 < args.share <= 1:
        parser.error(f'--share must be in (0, 1], got {args.share}')

    write_digits_cifar(args.data_root)
    os.makedirs(args.work_dir, exist_ok=True)
    share_images = max(10, int(round(1438 * args.share)))
    wanted = set(args.only or [r.name for r in ROWS])
    for row in reversed(ROWS):
        if row.name in wanted:
            wanted |= {n for n in (row.teacher, row.load_from) if n}
            wanted |= set((row.ckpt_options or {}).values())
    checkpoints: Dict[str, str] = {}
    results = []
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    total = time.perf_counter()
    for row in ROWS:
        if row.name not in wanted:
            continue
        epochs = args.epochs if args.epochs is not None else (
            row.epochs or (None if row.whole_split else args.student_epochs))
        work_dir = work_dir_of(row, args.work_dir, args.epochs)
        cfg = build_cfg(row, work_dir, args.data_root, share_images, epochs,
                        checkpoints)
        print(f'[demo] training {row.name} ({cfg.train_cfg.max_epochs} '
              'epochs on ' + ('the whole training split' if row.whole_split
                              else f'{share_images} training images') +
              f'): {row.config}', flush=True)
        results.append(run_row(row, cfg, checkpoints))
        r = results[-1]
        print(f"[demo] {row.name}: top-1 {r['top1']:.2f} in "
              f"{r['train_seconds']:.0f} s; checkpoint "
              f'{checkpoints[row.name]}', flush=True)
    table = format_table(results)
    minutes = (time.perf_counter() - total) / 60
    header = (f'Digits demo (scikit-learn digits as 32x32 CIFAR files; the '
              f'teacher trained on all 1438 training images, the students '
              f'on {share_images}; {NUM_TEST} test images), CPU, '
              f'{minutes:.1f} min:')
    text = header + '\n\n' + table + '\n\n' + image_worth()
    target = configured_teacher_ckpt()
    if checkpoints.get('teacher') == target:
        text += (f'\nThe teacher is {target}, where the digits '
                 'distillation configs read it (model.teacher_ckpt).')
    elif 'teacher' in checkpoints:
        text += (f"\nThe teacher of this run is {checkpoints['teacher']}; "
                 f'the digits distillation configs read {target} (a full '
                 'demo or tools/train.py on the teacher config writes it).')
    print('\n' + text + '\n')
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    return results


if __name__ == '__main__':
    main()
