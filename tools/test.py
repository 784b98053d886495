# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Evaluate a checkpoint on a config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
        [--out results.pkl] [--cfg-options k=v ...] [--launcher ...]

A distillation config evaluates the student (and, through MMRazor's
SingleTeacherDistillValLoop, the teacher); a plain classifier config
evaluates a checkpoint converted by
tools/model_converters/convert_kd_ckpt_to_student.py.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: E402,F401
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dist import is_main_process  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument('--out', help='also write the metrics to this JSON')
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint!r} not found')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    # never rebuild a teacher from its own checkpoint at test time: the
    # distillation checkpoint holds the teacher's weights
    if cfg.model.get('teacher_ckpt'):
        cfg.model.teacher_ckpt = None
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.out and is_main_process():
        with open(args.out, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=1)
    return metrics


if __name__ == '__main__':
    main()
