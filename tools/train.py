# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Train a model (a teacher, a student, or a distillation) from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]]
        [--amp] [--auto-scale-lr] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]

Distributed: tools/dist_train.sh CONFIG NPROC (torchrun) or
tools/slurm_train.sh. Works on CPUs too (gloo), with no extra flag.
"""
import argparse
import logging
import os
import os.path as osp
from contextlib import nullcontext

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import Config, DictAction
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmkd_plus.models.algorithms import (
    drop_teacher_files, teacher_from_run_checkpoint)
from mmkd_plus.models.losses.sskd_loss import check_sskd_weights
from mmkd_plus.utils import (call_explained, finish_distributed,
                             load_checkpoint_file, merge_cfg_options,
                             other_checkpoints)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or with no value from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (float16, MMEngine\'s '
        'AmpOptimWrapper): needs a GPU (or an NPU, MLU or MUSA device); '
        'without one training stops at once, as AmpOptimWrapper cannot run '
        'on the CPU (CPU bfloat16 autocast is not offered)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the LR by the actual batch size over '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch 2's launcher passes --local-rank, older ones --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


_AMP_DEVICES = ('needs a GPU (or an NPU, MLU or MUSA device) and none is '
                'visible: MMEngine\'s AmpOptimWrapper cannot train on the '
                'CPU.')


def check_amp_device(cfg, amp_flag: bool) -> None:
    """Stop at once when mixed precision is asked for on a CPU-only
    machine (``--amp``, or ``optim_wrapper.type='AmpOptimWrapper'``),
    instead of MMEngine's bare ``AssertionError`` when training starts."""
    if get_device() != 'cpu':
        return
    if amp_flag:
        raise RuntimeError(f'--amp {_AMP_DEVICES} Leave --amp out to train '
                           'in float32.')
    wrapper = str((cfg.get('optim_wrapper') or {}).get('type', ''))
    if wrapper.split('.')[-1] == 'AmpOptimWrapper':
        raise RuntimeError(
            f'optim_wrapper.type={wrapper!r} (mixed precision) '
            f'{_AMP_DEVICES} Set optim_wrapper.type=\'OptimWrapper\' '
            '(without loss_scale and dtype) to train in float32.')


def merge_args(cfg, args):
    """Merge the command-line arguments into the config."""
    cfg.launcher = args.launcher
    # data_root=X reaches every dataloader (see mmkd_plus.utils.data_root)
    merge_cfg_options(cfg, args.cfg_options)
    # work_dir priority: CLI > config file > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    check_amp_device(cfg, args.amp)
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.',
                      logger='current', level=logging.WARNING)
        elif wrapper != 'OptimWrapper':
            raise ValueError('--amp needs optim_wrapper.type=OptimWrapper, '
                             f'got {wrapper!r}')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ValueError('--auto-scale-lr needs auto_scale_lr.'
                             'base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def _resume_fix(config: str, path: str) -> str:
    others = other_checkpoints(path)
    if others:
        return ('Resume from the previous one: python tools/train.py '
                f'{config} --resume {others[0]} (or delete the broken file '
                'and use --resume alone).')
    return 'Start the run again without --resume.'


def check_resume(cfg, config: str) -> None:
    """Check the checkpoint a resume will read, before the Runner does.

    ``--resume PATH`` and ``--resume`` (the work dir's ``last_checkpoint``)
    each fail with one message naming the file when it is missing, empty,
    truncated, no checkpoint at all (a web page) or holds a class the safe
    loader refuses, and offer the previous checkpoint. MMEngine's
    ``last_checkpoint`` holds an absolute path: in a copied or moved work
    dir it still names the original one, so when a checkpoint of the same
    name is in this work dir, that one is resumed (and a warning says so).
    """
    if not cfg.get('resume'):
        return
    path, key = cfg.get('load_from'), '--resume'
    if path is None:
        last = osp.join(cfg.work_dir, 'last_checkpoint')
        if not osp.isfile(last):
            return  # nothing to resume: MMEngine starts and says so
        with open(last) as f:
            recorded = f.read().strip()
        local = osp.join(cfg.work_dir, osp.basename(recorded))
        same_dir = osp.abspath(osp.dirname(recorded)) == osp.abspath(
            cfg.work_dir)
        path = recorded
        if not same_dir and osp.isfile(local):
            print_log(
                f'{last} names {recorded!r}, outside this work dir (it was '
                f'copied or moved); resuming from {osp.abspath(local)!r} '
                'instead.',
                logger='current',
                level=logging.WARNING)
            path = local
        cfg.load_from = path
        key = f'--resume (the last checkpoint named in {osp.abspath(last)})'
    if '://' in path:
        return
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{key}: checkpoint {osp.abspath(path)!r} does not exist. Give '
            'an existing one: python tools/train.py '
            f'{config} --resume PATH, or leave --resume out to start anew.')
    # the file loads safely (weights_only, allow-listed globals) before
    # MMEngine loads it (which, on torch < 2.6, unpickles anything)
    checkpoint = load_checkpoint_file(path, key, _resume_fix(config, path))
    check_optimizer_layout(cfg, checkpoint, path, key)


def check_optimizer_layout(cfg, checkpoint, path: str, key: str) -> None:
    """One clear error when the checkpoint holds the states of several
    named optimizers (an ``OptimWrapperDict``'s) but ``optim_wrapper``
    builds one optimizer, where MMEngine raises a bare
    ``KeyError: 'param_groups'``. AD checkpoints written when each class
    adversary had an Adam of its own are such; the adversaries are now
    parameter groups of the model's Adam."""
    state = checkpoint.get('optimizer') if isinstance(checkpoint,
                                                      dict) else None
    if (not isinstance(state, dict) or 'param_groups' in state
            or 'optimizer' not in (cfg.get('optim_wrapper') or {})):
        return
    names = [
        name for name, value in state.items()
        if isinstance(value, dict) and 'param_groups' in value
    ]
    if names:
        raise ValueError(
            f'{key}: the checkpoint {osp.abspath(path)!r} holds the states '
            f'of several optimizers ({", ".join(names)}), but optim_wrapper '
            'builds one optimizer (an AD checkpoint from before its class '
            "adversaries became parameter groups of the model's Adam), so "
            'the run cannot resume from it. Start a new run from its '
            f'weights: --cfg-options load_from={path} (without --resume).')


def build_runner(cfg):
    """The Runner of ``cfg`` (``runner_type`` if the config names one)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    check_sskd_weights(cfg)
    check_resume(cfg, args.config)
    if cfg.get('load_from') and not cfg.get('resume'):
        load_checkpoint_file(cfg.load_from, 'load_from',
                             'Point load_from at another checkpoint.')
    resuming = bool(cfg.get('resume') and cfg.get('load_from'))
    if resuming:
        # the resumed checkpoint holds the teacher (and SSKD's stage-1
        # head): its own files are not read, and need not exist any more
        dropped = drop_teacher_files(cfg.model)
        if dropped:
            print_log(
                f'Resuming: the teacher comes from {cfg.load_from}; '
                f'{", ".join(dropped)} not read.',
                logger='current')
    # a misspelt `type` names its config key, whether it is built with the
    # Runner (models, hooks) or when training starts (datasets, metrics)
    with teacher_from_run_checkpoint() if resuming else nullcontext():
        runner = call_explained(build_runner, cfg, cfg)
    call_explained(runner.train, cfg)
    return runner


if __name__ == '__main__':
    main()
    finish_distributed()
