# Copyright (c) OpenMMLab. All rights reserved.
"""Fixes of MMRazor 1.0.0 on torch 2.x, numpy 1.24+ and mmpretrain (#1, #2,
#11, #14, #15 of ``docs/compat.md``).

The CRD dataset and packer fixes (#14, #15) serve MMRazor's own CRD
configs (``crd_neck_r50_r18_8xb16_cifar10.py``: ``CRDDataset`` and
``PackCRDClsInputs``), which a deployment may run beside ours; mmkd_plus's
CRD configs use their own ``CRDDatasetWrapper`` and packer.
"""
import sys
import types

import torch

from .base import ORIGINALS, TORCH2, once

__all__ = [
    'QuantizationUnavailableError', 'stub_mmrazor_quantization',
    'fix_set_module_inplace_false', 'fix_kd_soft_ce_loss',
    'fix_crd_dataset_ragged_classes', 'fix_pack_crd_cls_inputs'
]


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


@once
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


def _walk_set_inplace_false(self, architecture, varstr: str = '') -> None:
    """Set ``inplace=False`` on every submodule that has the attribute."""
    if isinstance(architecture, torch.nn.Module):
        for module in architecture.modules():
            if hasattr(module, 'inplace'):
                module.inplace = False


@once
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


@once
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


@once
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


@once
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
