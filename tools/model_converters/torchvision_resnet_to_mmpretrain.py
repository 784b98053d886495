# Copyright (c) OpenMMLab. All rights reserved.
"""Convert torchvision ResNet weights into mmpretrain's ResNet classifier.

QuEST's ImageNet teacher is torchvision's ResNet34 (its tau = 0.2 was
calibrated on those features). The configs build mmpretrain's
``ImageClassifier`` (``ResNet``, ``style='pytorch'``, global average
pooling, ``LinearClsHead``), whose layers are torchvision's under a
prefix: the backbone's keys get ``backbone.`` and ``fc`` becomes
``head.fc``. The output is
an MMEngine checkpoint (``{'state_dict': ..., 'meta': ...}``) that
``model.teacher_ckpt`` loads as it is::

    python tools/model_converters/torchvision_resnet_to_mmpretrain.py \\
        resnet34-b627a593.pth checkpoints/resnet34_torchvision_in1k.pth

The weights file is torchvision's download (``torchvision.models.
ResNet34_Weights.IMAGENET1K_V1``), fetched by you: nothing here downloads.
"""
import argparse
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict

import torch

__all__ = ['convert']


def convert(state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict':
    """torchvision ResNet keys -> mmpretrain ``ImageClassifier`` keys.

    Raises:
        ValueError: If the dict is not a torchvision ResNet's (no
            ``conv1.weight``/``fc.weight``, or keys outside the ResNet
            layout).
    """
    if 'state_dict' in state_dict and isinstance(state_dict['state_dict'],
                                                 dict):
        state_dict = state_dict['state_dict']
    if 'conv1.weight' not in state_dict or 'fc.weight' not in state_dict:
        raise ValueError(
            'not a torchvision ResNet state dict: it needs conv1.weight and '
            f'fc.weight, found e.g. {sorted(state_dict)[:5]}')
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('fc.'):
            out['head.' + key] = value
        elif key.startswith(('conv1.', 'bn1.', 'layer1.', 'layer2.', 'layer3.',
                             'layer4.')):
            out['backbone.' + key] = value
        else:
            raise ValueError(f'unexpected key {key!r} for a torchvision '
                             'ResNet')
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='torchvision ResNet weights (.pth)')
    parser.add_argument('dst', help='the mmpretrain checkpoint to write')
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        raise SystemExit(f'{args.src} does not exist')
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    converted = convert(state)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(converted_from=osp.basename(args.src))), args.dst)
    print(f'{len(converted)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
