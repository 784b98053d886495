# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""QuEST's student accuracy versus the vocabulary size K.

The QuEST supplement's Figure 1 (error vs K on CIFAR-10, WRN-40-1 ->
WRN-16-1, with the student trained without distillation as a horizontal
line): for every K of ``--num-words`` it trains a QuEST config (by default
the bundled digits one, resnet20 -> resnet8, layer3) with K words (the
loss, its connector and the vocabulary hook), evaluates the student, and
writes a markdown table and a PNG plot of the top-1 error versus K. With
``--baseline`` it also trains the config's own student alone (its
``model.architecture`` with the same data and schedule, no teacher).

    python tools/analysis/quest_vocab_size.py \\
        --teacher-ckpt work_dirs/resnet20_1xb64_digits/epoch_30.pth \\
        [--config CONFIG] [--num-words 16 32 64 128 256] [--epochs 30] \\
        [--baseline] [--work-dir work_dirs/quest_vocab_size]

    # the supplement's study (WRN-40-1 -> WRN-16-1 on CIFAR-10)
    python tools/analysis/quest_vocab_size.py --baseline \\
        --num-words 64 256 1024 4096 8192 --config \\
        configs/quest/quest_block3_wrn_40_1_wrn_16_1_1xb128_cifar10.py

Every run has the same seed; on 2 CPU cores a 30-epoch digits run takes a
few minutes. ``--num-train`` and ``--num-images`` shrink a run for testing.
"""
import argparse
import copy
import json
import os
import os.path as osp
import time

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmkd_plus.utils import network_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUEST_DIGITS = osp.join(REPO, 'configs', 'quest',
                        'quest_layer3_resnet20_resnet8_1xb64_digits.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='QuEST student accuracy versus K')
    parser.add_argument(
        '--config',
        default=QUEST_DIGITS,
        help='a QuEST config (default: the digits one)')
    parser.add_argument(
        '--teacher-ckpt',
        default=None,
        help="teacher checkpoint (default: the config's model.teacher_ckpt)")
    parser.add_argument(
        '--data-root',
        default=None,
        help='data root override (all three dataloaders)')
    parser.add_argument(
        '--num-words',
        type=int,
        nargs='+',
        default=[16, 32, 64, 128, 256],
        help='the values of K')
    parser.add_argument(
        '--epochs',
        type=int,
        default=None,
        help="training epochs (default: the config's)")
    parser.add_argument(
        '--num-train',
        type=int,
        default=None,
        help='train on the first N training images only')
    parser.add_argument(
        '--num-images',
        type=int,
        default=None,
        help="images for the vocabulary (default: the hook's, all)")
    parser.add_argument(
        '--batch-size', type=int, default=None, help='training batch size')
    parser.add_argument(
        '--baseline',
        action='store_true',
        help='also train the student without distillation (the plot\'s '
        'horizontal line)')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/quest_vocab_size',
        help='where the runs, the table and the plot go')
    return parser.parse_args(argv)


def _shorten(cfg: Config, args, work_dir: str) -> None:
    """Apply the run-size options of ``args`` to ``cfg``."""
    cfg.work_dir = work_dir
    cfg.experiment_name = f'{osp.basename(work_dir)}_{time.time_ns()}'
    if args.data_root is not None:
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[key].dataset.data_root = args.data_root
    if args.num_train is not None:
        cfg.train_dataloader.dataset.indices = args.num_train
    if args.batch_size is not None:
        cfg.train_dataloader.batch_size = args.batch_size
    if args.epochs is not None:
        cfg.train_cfg.max_epochs = args.epochs
        scheduler = cfg.param_scheduler
        if isinstance(scheduler, dict) and 'T_max' in scheduler:
            scheduler.T_max = args.epochs
    # evaluate once, after the last epoch (mmengine always validates then)
    cfg.train_cfg.val_interval = 10**6
    cfg.default_hooks.checkpoint.interval = 10**6
    cfg.default_hooks.checkpoint.save_last = False


def _top1(runner: Runner) -> float:
    """The student's top-1 (%) of the last validation (the message hub's
    ``val/accuracy/top1``; MMRazor's distillation loop returns nothing)."""
    scalars = runner.message_hub.log_scalars
    for key in ('val/accuracy/top1', 'val/student.accuracy/top1'):
        if key in scalars:
            return float(scalars[key].current())
    raise KeyError('No student top-1 among the logged validation scalars '
                   f'{sorted(k for k in scalars if k.startswith("val/"))}.')


def _run(cfg: Config) -> float:
    """Train ``cfg`` (it validates after the last epoch); its top-1."""
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        runner = Runner.from_cfg(cfg)
        runner.train()
    return _top1(runner)


def run_quest(args, num_words: int) -> float:
    """Train the QuEST config with ``num_words`` words; the student top-1."""
    cfg = Config.fromfile(args.config)
    distiller = cfg.model.distiller
    for name, loss in distiller.distill_losses.items():
        if loss.type != 'QuESTLoss':
            continue
        loss.num_words = num_words
        connector = distiller.loss_forward_mappings[name].s_logits.connector
        distiller.connectors[connector].num_words = num_words
    for hook in cfg.get('custom_hooks', []):
        if hook.get('type', '').endswith('QuESTVocabularyHook'):
            hook.pop('num_words', None)
            if args.num_images is not None:
                hook.num_images = args.num_images
    if args.teacher_ckpt is not None:
        cfg.model.teacher_ckpt = args.teacher_ckpt
    _shorten(cfg, args, osp.join(args.work_dir, f'K{num_words}'))
    return _run(cfg)


def student_config(cfg: Config) -> Config:
    """The config's own student without distillation.

    Its ``model.architecture`` (with the model's ``data_preprocessor`` if it
    has one) becomes the model; the data, schedule, optimizer and runtime
    stay; the QuEST vocabulary hooks, the distillation validation and test
    loops and ``find_unused_parameters`` go.

    Args:
        cfg (Config): A distillation config.

    Returns:
        Config: A new config that trains the student alone.
    """
    cfg = copy.deepcopy(cfg)
    # the network itself, when given by the config that trains it (cfg_path)
    student = network_config(cfg.model.architecture)
    if cfg.model.get('data_preprocessor') is not None:
        student.setdefault('data_preprocessor', cfg.model.data_preprocessor)
    cfg.model = student
    cfg.pop('find_unused_parameters', None)
    cfg.custom_hooks = [
        hook for hook in cfg.get('custom_hooks', [])
        if not str(hook.get('type', '')).endswith('QuESTVocabularyHook')
    ]
    for key in ('val_cfg', 'test_cfg'):
        if 'Distill' in str((cfg.get(key) or {}).get('type', '')):
            cfg[key] = dict()
    return cfg


def run_baseline(args) -> float:
    """Train the config's student alone (no distillation); its top-1."""
    cfg = student_config(Config.fromfile(args.config))
    _shorten(cfg, args, osp.join(args.work_dir, 'baseline'))
    return _run(cfg)


def write_outputs(rows: list, baseline, work_dir: str) -> None:
    """The markdown table and the PNG plot of the error versus K."""
    lines = [
        '| K | top-1 (%) | error (%) |',
        '|---:|---:|---:|',
    ]
    for row in rows:
        lines.append(f"| {row['num_words']} | {row['top1']:.2f} | "
                     f"{100.0 - row['top1']:.2f} |")
    if baseline is not None:
        lines.append(f'| no distillation | {baseline:.2f} | '
                     f'{100.0 - baseline:.2f} |')
    with open(osp.join(work_dir, 'quest_vocab_size.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ks = [row['num_words'] for row in rows]
    ax.plot(
        ks, [100.0 - row['top1'] for row in rows],
        'o--',
        label='QuEST student')
    if baseline is not None:
        ax.axhline(100.0 - baseline, color='k', label='no distillation')
    ax.set_xscale('log', base=2)
    ax.set_xticks(ks)
    ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel('vocabulary size K')
    ax.set_ylabel('top-1 error (%)')
    ax.set_title('QuEST: student error vs K')
    ax.legend()
    fig.tight_layout()
    fig.savefig(osp.join(work_dir, 'quest_vocab_size.png'), dpi=120)
    plt.close(fig)


def main(argv=None) -> list:
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    rows = []
    for num_words in args.num_words:
        rows.append(dict(num_words=num_words, top1=run_quest(args, num_words)))
    baseline = run_baseline(args) if args.baseline else None
    write_outputs(rows, baseline, args.work_dir)
    with open(osp.join(args.work_dir, 'quest_vocab_size.json'), 'w') as f:
        json.dump(dict(rows=rows, baseline=baseline), f, indent=2)
    return rows


if __name__ == '__main__':
    main()
