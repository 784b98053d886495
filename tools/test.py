# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Evaluate a checkpoint on a config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
        [--out results.pkl] [--cfg-options k=v ...] [--launcher ...]

A distillation config evaluates the student and then the teacher held in
the same checkpoint (its metrics prefixed ``teacher.``, as in the
validation during training); a plain classifier config evaluates a
checkpoint converted by tools/model_converters/convert_kd_ckpt_to_student.py.
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import Config, DictAction
import torch
from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmkd_plus.models.algorithms import (
    drop_teacher_files, teacher_from_run_checkpoint)
from mmkd_plus.utils import (call_explained, finish_distributed,
                             load_checkpoint_file, merge_cfg_options)


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


@torch.no_grad()
def evaluate_teacher(runner) -> Dict[str, float]:
    """The teacher's metrics on the test set (``teacher.`` + metric name),
    or ``{}`` when the model has no teacher (or, trained from a teacher
    cache, one without weights)."""
    model = runner.model
    if is_model_wrapper(model):
        model = model.module
    teacher = getattr(model, 'teacher', None)
    if teacher is None or getattr(teacher, 'outputs_from_cache', False):
        return {}  # none, or its outputs came from a teacher cache
    # as MMRazor's SingleTeacherDistillValLoop: the algorithm's preprocessor
    teacher.data_preprocessor = model.data_preprocessor
    teacher.eval()
    loop = runner.test_loop
    for data_batch in loop.dataloader:
        outputs = teacher.val_step(data_batch)
        loop.evaluator.process(data_samples=outputs, data_batch=data_batch)
    metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
    metrics = {f'teacher.{k}': v for k, v in metrics.items()}
    print_log(
        'Teacher: ' + '  '.join(f'{k}: {float(v):.4f}'
                                for k, v in metrics.items()),
        logger='current')
    return metrics


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint {osp.abspath(args.checkpoint)!r} not found (the '
            'CHECKPOINT argument of tools/test.py)')
    load_checkpoint_file(args.checkpoint, 'CHECKPOINT',
                         'Evaluate another checkpoint of the run.')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    # data_root=X reaches every dataloader (see mmkd_plus.utils.data_root)
    merge_cfg_options(cfg, args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    # never rebuild a teacher from its own checkpoint at test time: the
    # distillation checkpoint holds the teacher's weights (and SSKD's
    # stage-2 checkpoint the teacher's head of stage 1)
    drop_teacher_files(cfg.model)
    with teacher_from_run_checkpoint():
        runner = call_explained(
            lambda: RUNNERS.build(cfg)
            if 'runner_type' in cfg else Runner.from_cfg(cfg), cfg)
    metrics = dict(call_explained(runner.test, cfg))
    metrics.update(evaluate_teacher(runner))
    if args.out and is_main_process():
        with open(args.out, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=1)
    return metrics


if __name__ == '__main__':
    main()
    finish_distributed()
