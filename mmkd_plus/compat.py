# Copyright (c) OpenMMLab. All rights reserved.
"""The one place where mmkd_plus adapts the upstream stack to PyTorch 2.x.

MMRazor 1.0.0 (its last release) was written for torch 1.8-1.13. On torch 2.x
it cannot be imported, records wrong features silently, cannot load its own
checkpoints and cannot run DDP on a CPU. Each fix below is a named function
that answers one upstream bug (numbered as in ``docs/compat.md``), is
idempotent, and is tested in ``tests/test_compat.py`` by showing the failure
it removes.

:func:`apply` runs every fix. It is called by ``import mmkd_plus`` (first
thing) and by every script in ``tools/`` before mmrazor or mmpretrain is
imported. Nothing else in the package patches upstream code.

To run an upstream script unchanged (for example MMRazor's own
``tools/train.py``) with these fixes applied, see ``python -m mmkd_plus``.
"""
import logging
import os
import os.path as osp
import sys
import types
import warnings
from typing import Any, Callable, Dict, List

import torch

__all__ = [
    'apply', 'applied_fixes', 'TORCH2', 'QuantizationUnavailableError',
    'stub_mmrazor_quantization', 'define_torchvision_op_schemas',
    'fix_set_module_inplace_false', 'allow_mmengine_checkpoint_globals',
    'mmengine_checkpoint_globals',
    'fix_cpu_distributed_init', 'fix_cpu_ddp_device_ids',
    'fix_cpu_sync_bn', 'fix_kd_soft_ce_loss', 'fix_crd_dataset_ragged_classes',
    'fix_pack_crd_cls_inputs', 'fix_random_crop_padding_mode', 'ORIGINALS',
    'SKIP_ENV'
]

TORCH2 = int(torch.__version__.split('.')[0]) >= 2

_APPLIED: Dict[str, bool] = {}
# what each fix replaced, so tests can show the upstream behaviour
ORIGINALS: Dict[str, Any] = {}
# comma-separated fix names to leave out (for showing an upstream bug)
SKIP_ENV = 'MMKD_PLUS_COMPAT_SKIP'


def _once(fn: Callable[[], bool]) -> Callable[[], bool]:
    """Run a fix at most once per process; remember whether it acted."""

    def wrapper() -> bool:
        if fn.__name__ not in _APPLIED:
            skipped = os.environ.get(SKIP_ENV, '').split(',')
            _APPLIED[fn.__name__] = (fn.__name__ not in skipped
                                     and bool(fn()))
        return _APPLIED[fn.__name__]

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


def applied_fixes() -> List[str]:
    """Names of the fixes that changed something in this process."""
    return [name for name, acted in _APPLIED.items() if acted]


class QuantizationUnavailableError(RuntimeError):
    """Raised when MMRazor quantization is used on PyTorch 2.x."""


_QUANT_MSG = (
    'MMRazor 1.0.0 quantization ({name}) does not work on PyTorch {ver}: '
    'its backend configs use torch.ao APIs that torch 2 removed. mmkd_plus '
    'supports distillation (and MMRazor pruning/NAS) on torch 2; for '
    'quantization use upstream MMRazor with torch<=1.13.')


class _QuantizationStandIn:
    """An object that raises :class:`QuantizationUnavailableError` on use."""

    def __init__(self, name: str):
        self._name = name

    def _fail(self, *args, **kwargs):
        raise QuantizationUnavailableError(
            _QUANT_MSG.format(name=self._name, ver=torch.__version__))

    __call__ = _fail
    __getitem__ = _fail

    def __getattr__(self, item):
        if item.startswith('__'):
            raise AttributeError(item)
        self._fail()

    def __repr__(self) -> str:
        return f'<unavailable on torch 2: mmrazor {self._name}>'


@_once
def stub_mmrazor_quantization() -> bool:
    """#1: ``import mmrazor.models`` fails on torch 2.

    ``mmrazor.structures.quantization.backend_config`` uses
    ``torch.ao.quantization.fuser_method_mappings.reverse2`` (and friends),
    which torch 2 removed, so ``register_all_modules()`` and every
    distillation class raise ``ImportError: `torch>=1.13` is not installed
    properly``. We place a stand-in module in ``sys.modules`` before mmrazor
    imports it. Its ``BackendConfigs``, ``QConfigHandler`` and
    ``QSchemeHandler`` raise :class:`QuantizationUnavailableError` when used,
    so distillation, pruning and NAS import and quantization fails with one
    clear message.
    """
    if not TORCH2:
        return False
    name = 'mmrazor.structures.quantization'
    existing = sys.modules.get(name)
    if existing is not None:
        return getattr(existing, '__mmkd_plus_stub__', False)
    if 'mmrazor.structures' in sys.modules:
        raise ImportError(
            'mmrazor.structures was imported before mmkd_plus could make it '
            'work on torch 2: import mmkd_plus (or mmkd_plus.compat) before '
            'mmrazor.models / mmrazor.utils.register_all_modules.')
    stub = types.ModuleType(name, 'torch-2 stand-in installed by mmkd_plus')
    stub.__mmkd_plus_stub__ = True  # type: ignore[attr-defined]
    stub.__path__ = []  # a package, so submodule imports fail cleanly
    stub.__all__ = []  # type: ignore[attr-defined]
    for attr in ('BackendConfigs', 'QConfigHandler', 'QSchemeHandler'):
        setattr(stub, attr, _QuantizationStandIn(attr))
    sys.modules[name] = stub
    return True


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


@_once
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


def _walk_set_inplace_false(self, architecture, varstr: str = '') -> None:
    """Set ``inplace=False`` on every submodule that has the attribute."""
    if isinstance(architecture, torch.nn.Module):
        for module in architecture.modules():
            if hasattr(module, 'inplace'):
                module.inplace = False


@_once
def fix_set_module_inplace_false() -> bool:
    """#2 (silent): recorders before a ReLU record post-ReLU values.

    ``BaseAlgorithm.set_module_inplace_false`` only descends into
    ``OrderedDict``; torch 2 stores ``_modules`` as a plain ``dict``, so the
    walk stops at the top and every in-place ReLU stays in place. A recorder
    on a BN output followed by ``ReLU(inplace=True)`` then holds the clipped
    tensor (minimum 0 instead of negative values), with no error. We replace
    the method with a walk over ``module.modules()``.
    """
    from mmrazor.models.algorithms.base import BaseAlgorithm
    if BaseAlgorithm.set_module_inplace_false is _walk_set_inplace_false:
        return False
    ORIGINALS['fix_set_module_inplace_false'] = \
        BaseAlgorithm.set_module_inplace_false
    BaseAlgorithm.set_module_inplace_false = _walk_set_inplace_false
    return True


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


@_once
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


@_once
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
    """
    import mmengine.dist.utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '__mmkd_plus__', False):
        return False

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        torch.distributed.init_process_group(backend='gloo', **kwargs)
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


@_once
def fix_cpu_ddp_device_ids() -> bool:
    """#6: wrapping a CPU model in DDP fails.

    mmengine's ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]``,
    which torch rejects for a CPU module (``ValueError:
    DistributedDataParallel device_ids and output_device arguments only
    work with single-device/multiple-device GPU modules or CPU modules``).
    We drop ``device_ids``/``output_device`` when the module lives on the
    CPU.
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


@_once
def fix_cpu_sync_bn() -> bool:
    """#7: ``sync_bn`` in a config breaks CPU DDP.

    ``SyncBatchNorm layers only work with GPU modules``. A config written
    for 8 GPUs with ``sync_bn='torch'`` can then not be tried under CPU DDP.
    Without a GPU we keep plain BatchNorm and log a warning saying so.
    """
    import mmengine.runner.runner as runner_mod
    original = runner_mod.convert_sync_batchnorm
    if getattr(original, '__mmkd_plus__', False):
        return False

    def convert_sync_batchnorm(module, implementation='torch'):
        if not torch.cuda.is_available():
            from mmengine.logging import print_log
            print_log(
                f'sync_bn={implementation!r} ignored: SyncBatchNorm needs '
                'GPUs and none is visible, so BatchNorm stays per process.',
                logger='current',
                level=logging.WARNING)
            return module
        return original(module, implementation)

    convert_sync_batchnorm.__mmkd_plus__ = True  # type: ignore[attr-defined]
    ORIGINALS['fix_cpu_sync_bn'] = original
    runner_mod.convert_sync_batchnorm = convert_sync_batchnorm
    return True


@_once
def fix_kd_soft_ce_loss() -> bool:
    """#11: MMRazor's ``KDSoftCELoss`` needs mmcls.

    It takes ``soft_cross_entropy`` from mmcls and, with only mmpretrain
    installed, holds a placeholder that raises (``unexpected keyword
    argument 'reduction'``) on the first forward. mmpretrain ships the same
    function; we point the loss module at it.
    """
    import mmrazor.models.losses.kd_soft_ce_loss as kd_ce
    from mmpretrain.models.losses.cross_entropy_loss import soft_cross_entropy
    if kd_ce.soft_cross_entropy is soft_cross_entropy:
        return False
    ORIGINALS['fix_kd_soft_ce_loss'] = kd_ce.soft_cross_entropy
    kd_ce.soft_cross_entropy = soft_cross_entropy
    return True


def _parse_contrast_info_ragged(self) -> None:
    """MMRazor's ``CRDDataset._parse_fullset_contrast_info`` with the
    per-class index lists kept as a 1-d object array, whose classes may have
    different sizes (same fields, same sampling, same random draws)."""
    import numpy as np
    if self.sample_mode not in ('exact', 'random'):
        raise ValueError('CRDDataset sample_mode must be "exact" or '
                         f'"random", got {self.sample_mode!r}')
    if self.dataset.test_mode:
        return
    self.gt_labels = self.dataset.get_gt_labels()
    self.num_samples = len(self.dataset)
    num_classes = self.num_classes
    if num_classes is None:
        num_classes = int(max(self.gt_labels)) + 1
    labels = np.asarray(self.gt_labels)
    positive = [np.flatnonzero(labels == c) for c in range(num_classes)]
    negative = [
        np.concatenate([positive[j] for j in range(num_classes) if j != c])
        if num_classes > 1 else np.zeros(0, dtype=np.int64)
        for c in range(num_classes)
    ]
    if 0 < self.percent < 1:
        n = int(len(negative[0]) * self.percent)
        negative = [np.random.permutation(neg)[0:n] for neg in negative]

    def ragged(arrays):
        out = np.empty(len(arrays), dtype=object)
        for i, arr in enumerate(arrays):
            out[i] = arr
        return out

    self.cls_positive = ragged(positive)
    self.cls_negative = ragged(negative)


@_once
def fix_crd_dataset_ragged_classes() -> bool:
    """#14: MMRazor's ``CRDDataset`` fails on numpy >= 1.24 for classes of
    unequal size.

    ``_parse_fullset_contrast_info`` ends with
    ``np.asarray(self.cls_positive)`` on a list of per-class index arrays;
    when the classes have different sizes numpy 1.24+ (and 2.x) raises
    ``ValueError: setting an array element with a sequence. The requested
    array has an inhomogeneous shape``, so MMRazor's own CRD configs fail
    on any dataset that is not perfectly balanced (a subset of CIFAR, the
    digits). We replace the method with one that stores the same per-class
    arrays in a 1-d object array.
    """
    from mmrazor.datasets.crd_dataset_wrapper import CRDDataset
    current = CRDDataset._parse_fullset_contrast_info
    if current is _parse_contrast_info_ragged:
        return False
    ORIGINALS['fix_crd_dataset_ragged_classes'] = current
    CRDDataset._parse_fullset_contrast_info = _parse_contrast_info_ragged
    return True


def _pack_crd_cls_inputs_class():
    """MMRazor's ``PackCRDClsInputs`` on mmpretrain's ``PackInputs``."""
    import numpy as np
    from mmpretrain.datasets.transforms import PackInputs

    class PackCRDClsInputs(PackInputs):
        """MMRazor's ``PackCRDClsInputs`` (its fields, its semantics) built
        on mmpretrain's ``PackInputs`` instead of mmcls's ``PackClsInputs``:
        ``sample_idx`` and ``contrast_sample_idxs`` become long tensors of
        the data sample, as MMRazor's ``CRDLoss`` reads them."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.meta_keys = tuple(k for k in self.meta_keys
                                   if k != 'sample_idx')

        def transform(self, results: dict) -> dict:
            packed = super().transform(results)
            sample = packed['data_samples']
            for key in ('sample_idx', 'contrast_sample_idxs'):
                if key in results:
                    value = results[key]
                    if isinstance(value, np.ndarray):
                        value = torch.from_numpy(value)
                    sample.set_data(
                        {key: torch.as_tensor(value, dtype=torch.long)})
            return packed

    PackCRDClsInputs.__mmkd_plus__ = True  # type: ignore[attr-defined]
    return PackCRDClsInputs


@_once
def fix_pack_crd_cls_inputs() -> bool:
    """#15: MMRazor's ``PackCRDClsInputs`` cannot be built without mmcls.

    It subclasses mmcls's ``PackClsInputs``; with only mmpretrain installed
    that base is a placeholder and building the transform raises
    ``ImportError: `PackClsInputs` is not installed properly, please install
    it from mmcls``, so MMRazor's own CRD configs cannot build their
    pipeline. We register, under the same name in MMRazor's transform
    registry, the same packing on mmpretrain's ``PackInputs``.
    """
    import mmrazor.datasets.transforms.formatting as formatting
    from mmrazor.registry import TRANSFORMS
    current = formatting.PackCRDClsInputs
    base_module = getattr(formatting.PackClsInputs, '__module__', '') or ''
    if getattr(current, '__mmkd_plus__', False) or base_module.startswith(
            'mmcls'):
        return False  # fixed already, or mmcls is installed and it works
    fixed = _pack_crd_cls_inputs_class()
    fixed.__module__ = formatting.__name__
    ORIGINALS['fix_pack_crd_cls_inputs'] = current
    formatting.PackCRDClsInputs = fixed
    TRANSFORMS.register_module('PackCRDClsInputs', module=fixed, force=True)
    return True


def _random_crop_transform(self, results: dict) -> dict:
    """mmpretrain's ``RandomCrop.transform`` with ``padding`` padded in
    ``padding_mode`` (then the original crop, on the padded image)."""
    original = ORIGINALS['fix_random_crop_padding_mode']
    if self.padding is None or self.padding_mode == 'constant':
        return original(self, results)
    import mmcv
    results['img'] = mmcv.impad(
        results['img'], padding=self.padding, padding_mode=self.padding_mode)
    padding, self.padding = self.padding, None
    try:
        return original(self, results)
    finally:
        self.padding = padding


@_once
def fix_random_crop_padding_mode() -> bool:
    """#16 (silent): mmpretrain's ``RandomCrop`` pads with zeros whatever
    its ``padding_mode``.

    Its docstring gives ``padding_mode`` (``'reflect'``, ``'edge'``,
    ``'symmetric'``) as the type of padding, as torchvision's, but
    ``transform`` pads ``padding`` with ``pad_val`` and uses the mode only
    for ``pad_if_needed``: ``RandomCrop(32, padding=4,
    padding_mode='reflect')`` silently pads with zeros. We pad ``padding``
    in the given mode first; ``'constant'`` (the default) is unchanged, and
    so is the random crop that follows (same draws).
    """
    from mmpretrain.datasets.transforms import RandomCrop
    if RandomCrop.transform is _random_crop_transform:
        return False
    ORIGINALS['fix_random_crop_padding_mode'] = RandomCrop.transform
    RandomCrop.transform = _random_crop_transform
    return True


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
    fix_cpu_sync_bn()
    fix_set_module_inplace_false()
    fix_kd_soft_ce_loss()
    fix_crd_dataset_ragged_classes()
    fix_pack_crd_cls_inputs()
    fix_random_crop_padding_mode()
    return applied_fixes()
