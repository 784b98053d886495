# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Print the parameter count and FLOPs of every CIFAR model config.

Builds each ``configs/_base_/models/*_cifar.py`` classifier (100 classes)
with mmpretrain's registry, counts its parameters exactly and measures its
FLOPs on one 3x32x32 image with ``mmengine.analysis`` (the classifier in
tensor mode: backbone, neck and head, in eval mode). MMEngine's counter,
like fvcore's, counts one fused multiply-add as one FLOP, so these are the
"MACs" that papers often call FLOPs. Prints a markdown table (the one in
configs/teachers/README.md) or CSV::

    python tools/analysis/zoo_table.py
    python tools/analysis/zoo_table.py --format csv --input-size 32
"""
import argparse
import glob
import logging
import os.path as osp
import re
from typing import Dict, List, Tuple

import torch

import mmkd_plus  # noqa: F401  (torch-2 fixes before OpenMMLab imports)
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmpretrain.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_DIR = osp.join(REPO_ROOT, 'configs', '_base_', 'models')
# table order: families as the papers list them, then anything else
FAMILIES = ('CIFARResNet', 'CIFARBottleneckResNet', 'CIFARWideResNet',
            'CIFARVGG', 'CIFARMobileNetV2', 'CIFARShuffleNetV1',
            'CIFARShuffleNetV2')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--models-dir',
        default=DEFAULT_DIR,
        help='folder of model configs (each *_cifar.py defines `model`); '
        'default: configs/_base_/models')
    parser.add_argument(
        '--input-size', type=int, default=32, help='square input side')
    parser.add_argument(
        '--format', choices=('markdown', 'csv'), default='markdown')
    return parser.parse_args(argv)


def measure(config: str, input_size: int = 32) -> Dict[str, object]:
    """Parameters and FLOPs of the classifier a model config defines.

    Args:
        config (str): Path of a config with a top-level ``model``.
        input_size (int): Side of the square input. Defaults to 32.

    Returns:
        dict: ``name`` (the file name without ``_cifar.py``), ``config``,
        ``backbone`` (its type), ``params`` (int), ``flops`` (int, one
        multiply-add = one FLOP) and ``num_classes``.
    """
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        info = get_model_complexity_info(
            model,
            input_shape=(3, input_size, input_size),
            show_table=False,
            show_arch=False)
    name = osp.basename(config)[:-len('.py')]
    if name.endswith('_cifar'):
        name = name[:-len('_cifar')]
    return dict(
        name=name,
        config=osp.relpath(config, REPO_ROOT),
        backbone=cfg.model.backbone.type,
        params=params,
        flops=int(info['flops']),
        num_classes=cfg.model.head.get('num_classes'))


def sort_key(row: Dict[str, object]) -> Tuple:
    """Family order of :data:`FAMILIES`, then numbers in the name in
    numeric order (resnet8, resnet8x4, resnet14, ..., resnet110)."""
    family = str(row['backbone'])
    rank = FAMILIES.index(family) if family in FAMILIES else len(FAMILIES)
    parts = tuple((0, int(t), '') if t.isdigit() else (1, 0, t)
                  for t in re.findall(r'\d+|\D+', str(row['name'])))
    return rank, family, parts


def format_table(rows: List[Dict[str, object]], fmt: str = 'markdown',
                 input_size: int = 32) -> str:
    """Format :func:`measure` results as a markdown table or CSV."""
    if fmt == 'csv':
        lines = ['model,backbone,params,flops,num_classes,config']
        lines += [
            f"{r['name']},{r['backbone']},{r['params']},{r['flops']},"
            f"{r['num_classes']},{r['config']}" for r in rows
        ]
        return '\n'.join(lines)
    lines = [
        f'| model | backbone | params (M) | params | FLOPs (M, {input_size}x'
        f'{input_size}) | config |', '|---|---|---:|---:|---:|---|'
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['backbone']} | "
                     f"{r['params'] / 1e6:.2f} | {r['params']:,} | "
                     f"{r['flops'] / 1e6:.1f} | `{r['config']}` |")
    return '\n'.join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    # mmengine's FLOP counter warns about every op it does not count
    # (adds, ReLUs, pools: negligible next to the convs)
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    logging.getLogger('mmengine').setLevel(logging.ERROR)
    # the CIFAR networks: not the shared fragments (_cifar_classifier.py)
    # nor the ImageNet ones (*_in1k.py)
    configs = sorted(glob.glob(osp.join(args.models_dir, '*_cifar.py')))
    if not configs:
        raise SystemExit(f'no model configs in {args.models_dir}')
    rows = sorted((measure(c, args.input_size) for c in configs),
                  key=sort_key)
    print(format_table(rows, args.format, args.input_size))


if __name__ == '__main__':
    main()
