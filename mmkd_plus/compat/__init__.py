# Copyright (c) OpenMMLab. All rights reserved.
"""The one place where mmkd_plus adapts the upstream stack to PyTorch 2.x.

MMRazor 1.0.0 (its last release) was written for torch 1.8-1.13. On torch 2.x
it cannot be imported, records wrong features silently and cannot load its
own checkpoints; MMEngine cannot start DDP on a machine without a GPU. Each
fix is a named function, in the module of the package it fixes
(:mod:`.mmrazor_fixes`, :mod:`.mmengine_fixes`, :mod:`.mmpretrain_fixes`,
:mod:`.torchvision_fixes`), that answers one upstream bug (numbered as in
``docs/compat.md``), is idempotent, and is tested in ``tests/test_compat/``
by showing the failure it removes.

:func:`apply` runs every fix. It is called by ``import mmkd_plus`` (first
thing), before mmrazor or mmpretrain is imported. Nothing else in the
package patches upstream code.

To run an upstream script unchanged (for example MMRazor's own
``tools/train.py``) with these fixes applied, see ``python -m mmkd_plus``.
"""
import warnings
from typing import List

from .base import ORIGINALS, SKIP_ENV, TORCH2, applied_fixes
from .mmengine_fixes import (allow_mmengine_checkpoint_globals,
                             fix_cpu_ddp_device_ids, fix_cpu_distributed_init,
                             mmengine_checkpoint_globals,
                             release_process_group)
from .mmpretrain_fixes import fix_random_crop_padding_mode
from .mmrazor_fixes import (QuantizationUnavailableError,
                            fix_crd_dataset_ragged_classes,
                            fix_kd_soft_ce_loss, fix_pack_crd_cls_inputs,
                            fix_set_module_inplace_false,
                            stub_mmrazor_quantization)
from .torchvision_fixes import define_torchvision_op_schemas

__all__ = [
    'apply', 'applied_fixes', 'TORCH2', 'QuantizationUnavailableError',
    'stub_mmrazor_quantization', 'define_torchvision_op_schemas',
    'fix_set_module_inplace_false', 'allow_mmengine_checkpoint_globals',
    'mmengine_checkpoint_globals', 'fix_cpu_distributed_init',
    'release_process_group', 'fix_cpu_ddp_device_ids',
    'fix_kd_soft_ce_loss', 'fix_crd_dataset_ragged_classes',
    'fix_pack_crd_cls_inputs', 'fix_random_crop_padding_mode', 'ORIGINALS',
    'SKIP_ENV'
]


def apply() -> List[str]:
    """Apply every fix (idempotent). Returns the names of those that acted.

    The order matters: the two import-time fixes run before anything
    imports torchvision or ``mmrazor.models``. Setting the environment
    variable ``MMKD_PLUS_COMPAT_SKIP`` to comma-separated fix names leaves
    those out, to see an upstream bug for oneself.
    """
    # #13 (docs/compat.md): mmcv-lite has no compiled ops; classification
    # never needs them, so mmcv's import-time warning about them is noise.
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    stub_mmrazor_quantization()
    define_torchvision_op_schemas()
    allow_mmengine_checkpoint_globals()
    fix_cpu_distributed_init()
    fix_cpu_ddp_device_ids()
    fix_set_module_inplace_false()
    fix_kd_soft_ce_loss()
    fix_crd_dataset_ragged_classes()
    fix_pack_crd_cls_inputs()
    fix_random_crop_padding_mode()
    return applied_fixes()
