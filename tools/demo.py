# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""The demo: train a teacher and distil students on the bundled digits.

    python tools/demo.py [--epochs N] [--share F] [--only NAME ...]
        [--seeds S ...] [--reference FILE] [--write-reference FILE]
        [--work-dir work_dirs/demo] [--data-root data/digits]

It writes the scikit-learn digits in CIFAR format (data/digits), trains the
teacher on the whole training split, then the vanilla student and each
distilled student of ``ROWS`` on a small share of it (``--share``, the
first 10 % by default: 144 images), which is where a teacher's knowledge
shows. On the whole split every student ends within a few test images of
99 %, too close to tell methods apart. It prints one progress line about
every tenth of a row (epoch, running loss, time), then a table (model,
parameters, top-1 on the 359 test images, train time), what one test image
is worth, and saves the table as results.md and results.json in the work
dir.

One run is one seed (``--seeds``, default 0) and so one draw from each
row's seed-to-seed spread. Beside each row's top-1 the table shows that
spread: the mean ± sample std over three or more seeds of the whole demo
(teacher included) at the demo's settings, read from a committed reference
file (``docs/results/digits_demo.json``; ``--reference`` another). The
table's note says which command, seeds, date and machine measured it; a
row the file lacks is said to be unmeasured, and a run at other settings
(``--epochs``, ``--share``, ``--student-epochs``) shows no reference.
``--seeds 0 1 2`` runs the whole demo once per seed and prints each row's
mean ± std itself (three times as long); ``--write-reference FILE`` (three
seeds or more) then writes that measurement as the reference file.

The teacher is written where the digits distillation configs read it
(their ``model.teacher_ckpt``, ``work_dirs/resnet20_1xb64_digits/
epoch_30.pth``), so after the demo ``python tools/train.py
configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py`` finds it.
``--epochs N`` (a quick look: every row trains N epochs) and several seeds
(each seed's rows go to ``<work dir>/seed<S>``) keep their teachers apart,
under the work dir.
"""
import argparse
import datetime
import json
import logging
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmkd_plus.utils import set_data_root
from mmkd_plus.datasets import write_digits_cifar

__all__ = [
    'Row', 'ROWS', 'ProgressHook', 'configured_teacher_ckpt', 'work_dir_of',
    'build_cfg', 'run_row', 'summarize', 'format_table', 'load_reference',
    'reference_note', 'write_reference', 'demo_settings', 'parse_args',
    'run_demo', 'main'
]

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
NUM_TEST = 359  # test images of the digits: one is worth 100/359 points
NUM_TRAIN = 1438
# the seed spread of every row at the demo's settings (see the docstring)
REFERENCE = osp.join(REPO, 'docs', 'results', 'digits_demo.json')
REFERENCE_FORMAT = 1
MEASURE_COMMAND = ('python tools/demo.py --seeds 0 1 2 --write-reference '
                   'docs/results/digits_demo.json')


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


def work_dir_of(row: Row,
                work_root: str,
                epochs: Optional[int],
                configs_teacher: bool = True) -> str:
    """The work dir of a row: the teacher the digits distillation configs
    read (the row whose config names that directory, trained at its full
    length; unless ``configs_teacher`` is False, as for a run of several
    seeds) goes there; every other row under ``work_root``, one directory
    per config, so no row overwrites another's checkpoint."""
    stem = osp.splitext(osp.basename(row.config))[0]
    target = configured_teacher_ckpt()
    if (configs_teacher and target and row.whole_split and epochs is None
            and row.epochs is None
            and osp.basename(osp.dirname(target)) == stem):
        return osp.dirname(target)
    return osp.join(work_root, stem)


def build_cfg(row: Row,
              work_dir: str,
              data_root: str,
              share_images: int,
              epochs: Optional[int],
              checkpoints: Dict[str, str],
              seed: Optional[int] = None):
    """The row's config with the demo's data, length and checkpoints; a
    ``seed`` sets ``randomness.seed`` and a DigitsS row's grey/colour draw
    (its dataset's ``seed``, as the MFD code does); None keeps the
    config's (0)."""
    cfg = Config.fromfile(osp.join(REPO, row.config))
    cfg.work_dir = work_dir
    set_data_root(cfg, data_root)
    if seed is not None:
        cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
        if 'seed' in cfg.train_dataloader.dataset:
            cfg.train_dataloader.dataset.seed = seed
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
    deo_m, deo_a = (metrics.get(f'fairness/{k}') for k in ('DEO_M', 'DEO_A'))
    return dict(
        model=row.name,
        seed=(cfg.get('randomness') or {}).get('seed'),
        config=row.config,
        network=type(backbone).__name__ + (
            f'-{backbone.depth}' if hasattr(backbone, 'depth') else ''),
        params=_count(student),
        train_images=len(runner.train_dataloader.dataset),
        top1=float(top1),
        deo_m=None if deo_m is None else float(deo_m),
        deo_a=None if deo_a is None else float(deo_a),
        train_seconds=seconds,
        epochs=cfg.train_cfg.max_epochs)


def _spread(values: Sequence[float]) -> dict:
    """mean, sample std (None for one value), n and the values."""
    values = [float(v) for v in values]
    return dict(
        mean=statistics.mean(values),
        std=statistics.stdev(values) if len(values) > 1 else None,
        n=len(values),
        values=values)


def summarize(results: Sequence[dict]) -> List[dict]:
    """One row per model (in the order of the runs) over its seeds: the
    first run's description, ``seeds``, and ``top1`` (and ``deo_m``,
    ``deo_a`` for the fairness rows; else None) as :func:`_spread`'s
    dict; ``train_seconds`` the mean."""
    groups: Dict[str, List[dict]] = {}
    for r in results:
        groups.setdefault(r['model'], []).append(r)
    rows = []
    for model, group in groups.items():
        first = group[0]
        rows.append(
            dict(
                model=model,
                config=first['config'],
                network=first['network'],
                params=first['params'],
                train_images=first['train_images'],
                epochs=first['epochs'],
                seeds=[r.get('seed') for r in group],
                train_seconds=statistics.mean(r['train_seconds']
                                              for r in group),
                **{
                    key: None if first.get(key) is None else _spread(
                        [r[key] for r in group])
                    for key in ('top1', 'deo_m', 'deo_a')
                }))
    return rows


def _fmt(spread: Optional[dict]) -> str:
    if spread is None:
        return '–'
    if spread['n'] == 1:
        return f"{spread['mean']:.2f}"
    return f"{spread['mean']:.2f} ± {spread['std']:.2f}"


def _reference_cell(reference: Optional[dict], model: str) -> str:
    if reference is None:
        return '–'
    row = reference['rows'].get(model)
    if row is None:
        return 'not measured'
    return f"{_fmt(row['top1'])} (n={row['top1']['n']})"


def format_table(rows: Sequence[dict],
                 reference: Optional[dict] = None) -> str:
    """The demo table of :func:`summarize`'s rows: a row of one seed shows
    its top-1, of several the mean ± std; beside it the ``reference``
    spread of the same row (``–`` without a reference that applies,
    ``not measured`` for a row the reference lacks)."""
    several = any(r['top1']['n'] > 1 for r in rows)
    top1 = 'top-1 (test, mean ± std)' if several else 'top-1 (test)'
    lines = [
        f'| model | network | params | train images | {top1} | '
        'reference: mean ± std over seeds | DEO_M / DEO_A | train time | '
        'config |',
        '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ]
    for r in rows:
        deo = '–' if r.get('deo_m') is None else \
            f"{_fmt(r['deo_m'])} / {_fmt(r['deo_a'])}"
        lines.append(
            f"| {r['model']} | {r['network']} | {r['params'] / 1e3:.1f}K | "
            f"{r['train_images']} | {_fmt(r['top1'])} | "
            f"{_reference_cell(reference, r['model'])} | {deo} | "
            f"{r['train_seconds']:.0f} s | `{r['config']}` |")
    return '\n'.join(lines)


def load_reference(path: str) -> Optional[dict]:
    """The reference file at ``path``, or None if there is none.

    Raises:
        ValueError: The file is not a reference of this format.
    """
    if not osp.isfile(path):
        return None
    with open(path) as f:
        reference = json.load(f)
    if reference.get('format') != REFERENCE_FORMAT or not isinstance(
            reference.get('rows'), dict):
        raise ValueError(f'{path}: not a demo reference file of format '
                         f'{REFERENCE_FORMAT} (tools/demo.py '
                         '--write-reference writes one)')
    return reference


def reference_note(reference: Optional[dict], path: str, settings: dict,
                   models: Sequence[str]) -> str:
    """Where the reference column comes from, or why it is empty."""
    shown = _rel(path)
    if reference is None:
        return (f'Reference column: {shown} not found, so no seed spread '
                f'is shown; measure it with: {MEASURE_COMMAND}')
    if reference.get('settings') != settings:
        return (f'Reference column: {shown} was measured at other '
                f"settings ({reference.get('settings')}) than this run's "
                f'({settings}), so no spread is shown.')
    missing = [m for m in models if m not in reference['rows']]
    if len(missing) == len(models):
        return (f'Reference column: {shown} has no measured row yet (no '
                f'number is shown); measure them with: {MEASURE_COMMAND}')
    machine = reference.get('machine') or {}
    text = (f'Reference column: mean ± sample std of each row\'s top-1 '
            f"over seeds {' '.join(map(str, reference['seeds']))} of the "
            f'whole demo at these settings, measured on '
            f"{reference.get('date')} ({machine.get('cpus')} CPU cores, "
            f"{machine.get('processor')}, torch {machine.get('torch')}) by "
            f"`{reference['command']}`; from {shown}.")
    if missing:
        text += (f" It has no measurement for: {', '.join(missing)} "
                 '(shown as not measured).')
    return text


def _rel(path: str) -> str:
    return osp.relpath(path, REPO) if osp.abspath(path).startswith(
        REPO + os.sep) else path


def _cpu_name() -> str:
    """The CPU's model name (Linux), else what platform knows."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _machine() -> dict:
    import torch
    return dict(
        platform=platform.platform(),
        processor=_cpu_name(),
        cpus=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        python=platform.python_version(),
        torch=torch.__version__)


def _commit() -> Optional[str]:
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def write_reference(path: str, rows: Sequence[dict], seeds: Sequence[int],
                    settings: dict, command: str, minutes: float) -> dict:
    """Write ``rows`` (of several seeds) as the reference file at
    ``path``: the command, seeds, date, machine, commit, settings, the run
    time and per row ``top1`` (and ``deo_m``/``deo_a``) with mean, std,
    n and the values. Returns what was written."""
    reference = dict(
        format=REFERENCE_FORMAT,
        what='mean ± sample std over seeds of each demo row at the '
        "demo's settings (the whole demo once per seed, teacher included)",
        command=command,
        seeds=list(seeds),
        date=datetime.datetime.now().astimezone().isoformat(
            timespec='seconds'),
        machine=_machine(),
        commit=_commit(),
        settings=settings,
        minutes=round(minutes, 1),
        rows={
            r['model']: dict(
                config=r['config'],
                top1=r['top1'],
                deo_m=r['deo_m'],
                deo_a=r['deo_a'])
            for r in rows
        })
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(reference, f, indent=1, ensure_ascii=False)
        f.write('\n')
    return reference


def image_worth() -> str:
    return (f'One test image is worth {100 / NUM_TEST:.2f} points of top-1 '
            f'({NUM_TEST} test images). One seed is one draw from each '
            "row's seed-to-seed spread (the reference column): compare "
            'methods with the runners (tools/analysis/compare_baselines.py '
            '--seeds 0 1 2, on a validation split with --val), not with one '
            'demo table.')


def parse_args(argv=None) -> argparse.Namespace:
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
    parser.add_argument(
        '--seeds', nargs='+', type=int, default=[0],
        help='run the whole demo once per seed and print each row\'s mean '
        '± sample std (default: one run, seed 0)')
    parser.add_argument(
        '--reference', default=REFERENCE,
        help='the reference file of the seed spread shown beside each row '
        f'(default {_rel(REFERENCE)})')
    parser.add_argument(
        '--write-reference', metavar='FILE',
        help='write this run (three seeds or more) as a reference file, '
        f'e.g. {_rel(REFERENCE)}')
    args = parser.parse_args(argv)
    if not 0 < args.share <= 1:
        parser.error(f'--share must be in (0, 1], got {args.share}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds repeats a seed: {args.seeds}')
    if args.write_reference and len(args.seeds) < 3:
        parser.error('--write-reference needs three seeds or more '
                     f'(--seeds 0 1 2), got {len(args.seeds)}')
    return args


def demo_settings(args: argparse.Namespace) -> dict:
    """What a reference must have been measured at to apply to a run:
    the students' images and epochs, and ``--epochs``."""
    return dict(share_images=max(10, int(round(NUM_TRAIN * args.share))),
                student_epochs=args.student_epochs, epochs=args.epochs)


def run_demo(args, share_images: int, seed: int, work_root: str,
             configs_teacher: bool) -> List[dict]:
    """The demo's rows, trained and tested with one seed."""
    wanted = set(args.only or [r.name for r in ROWS])
    for row in reversed(ROWS):
        if row.name in wanted:
            wanted |= {n for n in (row.teacher, row.load_from) if n}
            wanted |= set((row.ckpt_options or {}).values())
    checkpoints: Dict[str, str] = {}
    results = []
    for row in ROWS:
        if row.name not in wanted:
            continue
        epochs = args.epochs if args.epochs is not None else (
            row.epochs or (None if row.whole_split else args.student_epochs))
        work_dir = work_dir_of(row, work_root, args.epochs, configs_teacher)
        cfg = build_cfg(row, work_dir, args.data_root, share_images, epochs,
                        checkpoints, seed=seed)
        print(f'[demo] training {row.name} ({cfg.train_cfg.max_epochs} '
              'epochs on ' + ('the whole training split' if row.whole_split
                              else f'{share_images} training images') +
              f', seed {seed}): {row.config}', flush=True)
        results.append(run_row(row, cfg, checkpoints))
        r = results[-1]
        print(f"[demo] {row.name}: top-1 {r['top1']:.2f} in "
              f"{r['train_seconds']:.0f} s; checkpoint "
              f'{checkpoints[row.name]}', flush=True)
    return results


def main(argv=None) -> List[dict]:
    """Run the demo; returns every run (row and seed) as
    :func:`run_row` gives it."""
    args = parse_args(argv)
    reference = load_reference(args.reference)
    write_digits_cifar(args.data_root)
    os.makedirs(args.work_dir, exist_ok=True)
    settings = demo_settings(args)
    share_images = settings['share_images']
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    several = len(args.seeds) > 1
    results = []
    total = time.perf_counter()
    for seed in args.seeds:
        work_root = osp.join(args.work_dir, f'seed{seed}') if several \
            else args.work_dir
        results += run_demo(args, share_images, seed, work_root,
                            configs_teacher=not several)
    rows = summarize(results)
    minutes = (time.perf_counter() - total) / 60
    applies = reference is not None and reference.get(
        'settings') == settings
    table = format_table(rows, reference if applies else None)
    seeds = ' '.join(map(str, args.seeds))
    header = (f'Digits demo (scikit-learn digits as 32x32 CIFAR files; the '
              f'teacher trained on all {NUM_TRAIN} training images, the '
              f'students on {share_images}; {NUM_TEST} test images), CPU, '
              + (f'seeds {seeds} (mean ± sample std per row), '
                 if several else f'seed {seeds}, ') + f'{minutes:.1f} min:')
    note = reference_note(reference, args.reference, settings,
                          [r['model'] for r in rows])
    text = header + '\n\n' + table + '\n\n' + note + '\n' + image_worth()
    target = configured_teacher_ckpt()
    teacher = [r for r in results if r['model'] == 'teacher']
    if not several and teacher:
        ckpt = osp.join(work_dir_of(ROWS[0], args.work_dir, args.epochs),
                        f"epoch_{teacher[0]['epochs']}.pth")
        if ckpt == target:
            text += (f'\nThe teacher is {target}, where the digits '
                     'distillation configs read it (model.teacher_ckpt).')
        else:
            text += (f'\nThe teacher of this run is {ckpt}; the digits '
                     f'distillation configs read {target} (a full demo or '
                     'tools/train.py on the teacher config writes it).')
    print('\n' + text + '\n')
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(settings=dict(settings, seeds=args.seeds),
                       runs=results, rows=rows), f, indent=1)
    if args.write_reference:
        command = ' '.join(['python', 'tools/demo.py'] + list(
            sys.argv[1:] if argv is None else argv))
        write_reference(args.write_reference, rows, args.seeds, settings,
                        command, minutes)
        print(f'[demo] wrote the reference {args.write_reference}',
              flush=True)
    return results


if __name__ == '__main__':
    main()
