# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Turn a distillation checkpoint into a plain checkpoint of the student.

    python tools/model_converters/convert_kd_ckpt_to_student.py \
        work_dirs/kd_.../epoch_240.pth student.pth

A distillation checkpoint holds the student (under ``architecture.``), the
teacher, connectors, and the optimizer state. The output holds only the
student's weights, under the keys of a plain mmpretrain classifier, so
``tools/test.py STUDENT_CONFIG student.pth`` (the student's own vanilla
config) evaluates it and ``load_from``/``init_cfg`` can start from it.
"""
import argparse
import os
import os.path as osp
from typing import Dict, Optional

import mmkd_plus  # noqa: F401  (torch-2 checkpoint loading)
import torch

PREFIX = 'architecture.'


def convert(checkpoint: Dict, prefix: str = PREFIX) -> Dict:
    """Return ``{'state_dict': student weights, 'meta': ...}``.

    Args:
        checkpoint (dict): A checkpoint saved by mmengine during
            distillation (or its ``state_dict``).
        prefix (str): Prefix of the student's keys. Defaults to
            ``'architecture.'`` (MMRazor's algorithms).

    Raises:
        ValueError: If no key starts with ``prefix``.
    """
    state = checkpoint.get('state_dict', checkpoint)
    student = {
        key[len(prefix):]: value
        for key, value in state.items() if key.startswith(prefix)
    }
    if not student:
        sample = list(state)[:5]
        raise ValueError(
            f'No key starts with {prefix!r}: this is not a distillation '
            f'checkpoint (keys start like {sample}).')
    meta = dict(checkpoint.get('meta', {}))
    meta['converted_from'] = 'distillation checkpoint (student only)'
    for key in ('dataset_meta', 'mmengine_version', 'epoch', 'iter'):
        if key in checkpoint.get('meta', {}):
            meta[key] = checkpoint['meta'][key]
    return {'state_dict': student, 'meta': meta}


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='distillation checkpoint')
    parser.add_argument('out', help='where to write the student checkpoint')
    parser.add_argument('--prefix', default=PREFIX,
                        help='prefix of the student keys')
    args = parser.parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint!r} not found')
    checkpoint = torch.load(args.checkpoint, map_location='cpu')
    result = convert(checkpoint, args.prefix)
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(result, args.out)
    print(f'{len(result["state_dict"])} student tensors -> {args.out}')


if __name__ == '__main__':
    main()
