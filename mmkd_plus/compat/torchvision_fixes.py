# Copyright (c) OpenMMLab. All rights reserved.
"""A fix of torchvision beside a torch of another build (#8 of
``docs/compat.md``).
"""
import os.path as osp
import sys

import torch

from .base import once

__all__ = ['define_torchvision_op_schemas']


def _torchvision_ops_load() -> bool:
    """Whether torchvision's compiled ops load (or torchvision is absent).

    Loading them here, as ``torchvision.extension`` would, registers the real
    ops, so a matching build imports as usual and nothing is defined twice.
    """
    import glob
    import importlib.util
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return True  # nothing to fix
    folder = list(spec.submodule_search_locations)[0]
    libs = sorted(glob.glob(osp.join(folder, '_C.*so')) +
                  glob.glob(osp.join(folder, '_C.*pyd')) +
                  glob.glob(osp.join(folder, '_C.so')))
    if not libs:
        return False
    try:
        torch.ops.load_library(libs[0])
    except (OSError, RuntimeError):
        return False
    return True


@once
def define_torchvision_op_schemas() -> bool:
    """#8: a CUDA torchvision beside a CPU torch cannot be imported.

    torchvision's compiled ops fail to load against a CPU-only torch, and
    its ``_meta_registrations`` then raises ``RuntimeError: operator
    torchvision::nms does not exist`` at import, although classification
    only needs its Python parts. We define the ``nms``/``qnms`` schemas (no
    kernels) so the import succeeds; calling the ops still raises. When the
    compiled ops do load (a matching build, e.g. CUDA torch with CUDA
    torchvision), it loads them and defines nothing.
    """
    if 'torchvision' in sys.modules or _torchvision_ops_load():
        return False
    lib = torch.library.Library('torchvision', 'FRAGMENT')
    for op in ('nms', 'qnms'):
        schema = ('(Tensor dets, Tensor scores, float iou_threshold) '
                  '-> Tensor')
        lib.define(op + schema)
    # keep the library alive for the life of the process
    define_torchvision_op_schemas.__dict__['_lib'] = lib
    return True
