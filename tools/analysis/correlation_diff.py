# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""How well a student copies its teacher's class correlations.

The SSKD supplement's Figure 1 (Xu et al., ECCV 2020,
https://arxiv.org/abs/2006.07114): the rows of each network's classifier
weight (one per class) are L2-normalised, the K x K correlation matrix is
``C = W W^T`` (the cosine between every two classes), and the student is
compared with its teacher by ``|C_T - C_S|``: a heat map, and its mean as
one number (smaller: the teacher's correlation structure better kept).

    python tools/analysis/correlation_diff.py CKPT [CKPT ...] \\
        [--teacher TEACHER.pth] [--names A B ...] [--out-dir DIR] \\
        [--weight-key head.fc.weight]

Each ``CKPT`` is a distillation checkpoint (its student under
``architecture.``, its teacher under ``teacher.``) or, with ``--teacher``,
any checkpoint of a student (a vanilla student's own, a converted one).
It prints one line per checkpoint, writes ``<name>.png`` per checkpoint and
``correlation_diff.json`` to ``--out-dir``.
"""
import argparse
import json
import os
import os.path as osp

import mmkd_plus  # noqa: F401
import torch
import torch.nn.functional as F
from mmengine.runner.checkpoint import _load_checkpoint


def correlation(weight: torch.Tensor) -> torch.Tensor:
    """``C = W W^T`` of the L2-normalised rows of a (K, d) weight."""
    w = F.normalize(weight.double(), dim=1)
    return w @ w.t()


def correlation_difference(teacher_w: torch.Tensor,
                           student_w: torch.Tensor) -> torch.Tensor:
    """``|C_T - C_S|``, (K, K); the widths d may differ, K may not."""
    if teacher_w.size(0) != student_w.size(0):
        raise ValueError(
            f'the teacher classifies {teacher_w.size(0)} classes, the '
            f'student {student_w.size(0)}: their correlations cannot be '
            'compared.')
    return (correlation(teacher_w) - correlation(student_w)).abs()


def _weight(path: str, prefixes, key: str, what: str) -> torch.Tensor:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} checkpoint {path!r} does not exist')
    state = _load_checkpoint(path, map_location='cpu')
    state = state.get('state_dict', state)
    for prefix in prefixes:
        if prefix + key in state:
            return state[prefix + key].float()
    raise KeyError(f'{path!r} has no {what} classifier weight '
                   f'{[p + key for p in prefixes]}; set --weight-key (e.g. '
                   'head.fc.weight) or give the teacher with --teacher.')


def _heatmap(diff: torch.Tensor, title: str, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    image = ax.imshow(diff.numpy(), cmap='viridis', vmin=0.0)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel('class')
    ax.set_ylabel('class')
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='L1 difference between the teacher\'s and the '
        'student\'s classifier-weight correlations (SSKD supplement, '
        'Fig. 1)')
    parser.add_argument(
        'checkpoints',
        nargs='+',
        help='distillation (or, with --teacher, student) '
        'checkpoints')
    parser.add_argument(
        '--teacher',
        help='the teacher\'s checkpoint; '
        'default: the teacher inside each checkpoint')
    parser.add_argument(
        '--names',
        nargs='+',
        help='one label per checkpoint (default: file name)')
    parser.add_argument(
        '--weight-key',
        default='head.fc.weight',
        help='the classifier weight inside each network')
    parser.add_argument('--out-dir', default='work_dirs/correlation_diff')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    names = args.names or [
        osp.splitext(osp.basename(p))[0] for p in args.checkpoints
    ]
    if len(names) != len(args.checkpoints):
        raise ValueError(f'--names gives {len(names)} names for '
                         f'{len(args.checkpoints)} checkpoints')
    os.makedirs(args.out_dir, exist_ok=True)
    results = {}
    for name, path in zip(names, args.checkpoints):
        teacher_w = _weight(args.teacher, ('', 'architecture.'),
                            args.weight_key, 'teacher') if args.teacher \
            else _weight(path, ('teacher.', ), args.weight_key, 'teacher')
        student_w = _weight(path, ('architecture.', ''), args.weight_key,
                            'student')
        diff = correlation_difference(teacher_w, student_w)
        value = float(diff.mean())
        _heatmap(diff, f'{name}: mean |C_T - C_S| = {value:.4f}',
                 osp.join(args.out_dir, f'{name}.png'))
        results[name] = dict(
            checkpoint=path,
            mean_abs_diff=value,
            max_abs_diff=float(diff.max()))
        print(f'{name}: mean |C_T - C_S| = {value:.4f} '
              f'(max {float(diff.max()):.4f})')
    with open(osp.join(args.out_dir, 'correlation_diff.json'), 'w') as f:
        json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
