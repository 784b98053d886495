# Copyright (c) OpenMMLab. All rights reserved.
"""Fixes of MMEngine on torch 2.x and on machines without a GPU (#3, #5, #6,
#17 of ``docs/compat.md``).
"""
import atexit
import gc
import logging

import torch

from .base import ORIGINALS, once

__all__ = [
    'mmengine_checkpoint_globals', 'allow_mmengine_checkpoint_globals',
    'fix_cpu_distributed_init', 'release_process_group',
    'fix_cpu_ddp_device_ids'
]


def mmengine_checkpoint_globals() -> list:
    """The globals an mmengine checkpoint holds (objects, or ``(object,
    pickled name)`` where the name differs): the allow-list of the safe
    loaders."""
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = [HistoryBuffer, getattr, np.ndarray, np.dtype]
    dtype_mods = [np.dtypes] if hasattr(np, 'dtypes') else []
    for mod in dtype_mods:
        allowed += [
            v for k, v in vars(mod).items()
            if k.endswith('DType') and isinstance(v, type)
        ]
    # numpy's pickle helpers live in numpy.core (1.x) or numpy._core (2.x);
    # register both names so checkpoints cross numpy versions.
    for modname in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        for fname in ('_reconstruct', 'scalar'):
            try:
                module = __import__(modname, fromlist=[fname])
                fn = getattr(module, fname)
            except (ImportError, AttributeError):
                continue
            allowed.append((fn, f'{modname}.{fname}'))
    return allowed


@once
def allow_mmengine_checkpoint_globals() -> bool:
    """#3: torch>=2.6 ``weights_only=True`` rejects mmengine checkpoints.

    ``resume``, ``load_from`` of a full checkpoint, a ``teacher_ckpt`` taken
    from a training checkpoint, and MMRazor's converters all fail with
    ``Unsupported global: GLOBAL mmengine.logging.history_buffer.
    HistoryBuffer``. We allow-list exactly the globals an mmengine checkpoint
    holds (``HistoryBuffer``, numpy arrays, scalars and dtypes under both
    the ``numpy.core`` and ``numpy._core`` names), keeping the safe loader
    for everything else.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # torch < 2.4 loads everything anyway
        return False
    allowed = mmengine_checkpoint_globals()
    ORIGINALS['allow_mmengine_checkpoint_globals'] = allowed
    add(allowed)
    return True


@once
def fix_cpu_distributed_init() -> bool:
    """#5: ``launcher='pytorch'`` without a GPU fails.

    mmengine's ``_init_dist_pytorch`` always calls
    ``torch.cuda.set_device``, which on a CPU build raises
    ``AttributeError: module 'torch._C' has no attribute
    '_cuda_setDevice'``, and defaults to NCCL. When no GPU is visible we
    initialise the process group with gloo instead, so ``torchrun`` works
    on CPUs with no flag from the user. Rank 0 says so in one line at the
    start (the config, logged and dumped, keeps its backend), whichever
    train script runs: ours or, through ``python -m mmkd_plus``, MMRazor's.
    The gloo group it starts is released at exit (#17,
    :func:`release_process_group`).
    """
    import mmengine.dist.utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '__mmkd_plus__', False):
        return False

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        torch.distributed.init_process_group(backend='gloo', **kwargs)
        # registered once, however many groups the process starts
        atexit.unregister(release_process_group)
        atexit.register(release_process_group)
        if backend != 'gloo' and torch.distributed.get_rank() == 0:
            from mmengine.logging import print_log
            print_log(
                f'no GPU: {torch.distributed.get_world_size()} CPU processes '
                f'with gloo instead of {backend} (the config\'s '
                f'env_cfg.dist_cfg.backend={backend!r} needs GPUs and stays '
                'as it is in the config that is logged and dumped).',
                logger='current',
                level=logging.WARNING)

    _init_dist_pytorch.__mmkd_plus__ = True  # type: ignore[attr-defined]
    ORIGINALS['fix_cpu_distributed_init'] = original
    dist_utils._init_dist_pytorch = _init_dist_pytorch
    return True


def release_process_group() -> None:
    """#17: a CPU DDP run now and then aborts as it exits.

    MMEngine's runner never destroys the process group, and a training
    script such as MMRazor's ``tools/train.py`` ends with the DDP wrapper
    still held by reference cycles. The gloo group is then torn down with
    the interpreter, and one rank in a few dies there with ``terminate
    called without an active exception`` (SIGABRT, so ``torchrun`` reports
    the finished run as failed). Registered with :mod:`atexit` by the gloo
    path of :func:`fix_cpu_distributed_init`, this frees those cycles and
    destroys the group while the interpreter is whole. It waits for no
    other rank (a rank that exits on an error must not block on a barrier)
    and does nothing if the group is already gone, as after our
    ``tools/train.py``, which ends with
    :func:`mmkd_plus.utils.finish_distributed`.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        gc.collect()
        torch.distributed.destroy_process_group()


@once
def fix_cpu_ddp_device_ids() -> bool:
    """#6: wrapping a CPU model in DDP fails.

    mmengine's ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]``,
    which torch rejects for a CPU module (``ValueError:
    DistributedDataParallel device_ids and output_device arguments only
    work with single-device/multiple-device GPU modules or CPU modules``).
    We drop ``device_ids``/``output_device`` when the module lives on the
    CPU. Needed by MMEngine's and MMRazor's own ``tools/train.py`` (run
    through ``python -m mmkd_plus``), which cannot pass ``device_ids=None``:
    a config's ``model_wrapper_cfg`` would have to restate the whole wrapper
    (``find_unused_parameters``, ``broadcast_buffers``) to do it.
    """
    from mmengine.model import MMDistributedDataParallel
    original = MMDistributedDataParallel.__init__
    if getattr(original, '__mmkd_plus__', False):
        return False

    def __init__(self, module, detect_anomalous_params=False, **kwargs):
        params = list(module.parameters())
        if params and params[0].device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        original(
            self,
            module=module,
            detect_anomalous_params=detect_anomalous_params,
            **kwargs)

    __init__.__mmkd_plus__ = True  # type: ignore[attr-defined]
    ORIGINALS['fix_cpu_ddp_device_ids'] = original
    MMDistributedDataParallel.__init__ = __init__
    return True
