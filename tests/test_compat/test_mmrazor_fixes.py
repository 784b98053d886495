# Copyright (c) OpenMMLab. All rights reserved.
"""The fixes of MMRazor 1.0.0 (#1, #2, #11, #14, #15), each shown failing
without it.
"""

import numpy as np
import pytest
import torch
import torch.nn as nn
from compat_test_utils import run_python

from mmkd_plus import compat

QUANT_CFG = dict(
    w_observer=dict(type='mmrazor.PerChannelMinMaxObserver'),
    a_observer=dict(type='mmrazor.MovingAverageMinMaxObserver'),
    w_fake_quant=dict(type='mmrazor.FakeQuantize'),
    a_fake_quant=dict(type='mmrazor.FakeQuantize'),
    w_qscheme=dict(qdtype='qint8', bit=8),
    a_qscheme=dict(qdtype='quint8', bit=8))


# STACK #1 -------------------------------------------------------------------
def test_mmrazor_models_import_fails_without_stub():
    proc = run_python('import mmkd_plus, sys; print(getattr(sys.modules['
                      '"mmrazor.structures.quantization"], '
                      '"__mmkd_plus_stub__", False))',
                      skip='stub_mmrazor_quantization')
    if not compat.TORCH2:  # upstream imports as it is, and keeps its own
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.split() == ['False']
        assert 'stub_mmrazor_quantization' not in compat.applied_fixes()
        return
    assert proc.returncode != 0
    assert '`torch>=1.13` is not installed properly' in proc.stderr


def test_quantization_raises_one_clear_error():
    from mmrazor.structures.quantization import BackendConfigs, QConfigHandler
    if not compat.TORCH2:  # MMRazor's quantization is left working
        assert type(BackendConfigs['native']).__name__ == 'BackendConfig'
        assert QConfigHandler(QUANT_CFG).w_qscheme.bit == 8
        return
    with pytest.raises(
            compat.QuantizationUnavailableError,
            match='quantization .*does not work on PyTorch'):
        QConfigHandler(dict(w_qscheme=dict(), a_qscheme=dict()))
    with pytest.raises(
            compat.QuantizationUnavailableError, match='torch<=1.13'):
        BackendConfigs['native']


def test_quantizer_build_raises_clear_error():
    from mmrazor.registry import MODELS
    cfg = dict(type='mmrazor.TorchNativeQuantizer', global_qconfig=QUANT_CFG)
    if not compat.TORCH2:
        assert type(MODELS.build(cfg)).__name__ == 'TorchNativeQuantizer'
        return
    with pytest.raises(compat.QuantizationUnavailableError):
        MODELS.build(cfg)


# STACK #2 (silent) ----------------------------------------------------------
class _ConvBNReLU(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


def _record_bn_min(set_inplace_false) -> float:
    from mmrazor.models.task_modules import RecorderManager
    model = nn.Sequential()
    model.add_module('block', _ConvBNReLU())
    # MMRazor's method evals its `varstr` relative to `self` and recurses
    holder = type('Holder', (),
                  dict(set_module_inplace_false=set_inplace_false))()
    holder.architecture = model
    holder.set_module_inplace_false(model, 'self.architecture')
    recorders = RecorderManager(
        dict(bn=dict(type='ModuleOutputs', source='block.bn')))
    recorders.initialize(model)
    torch.manual_seed(0)
    with recorders:
        model(torch.randn(2, 3, 8, 8))
    return recorders.get_recorder('bn').get_record_data().min().item()


def test_set_module_inplace_false_records_pre_relu_values():
    from mmrazor.models.algorithms.base import BaseAlgorithm
    upstream = compat.ORIGINALS['fix_set_module_inplace_false']
    if not compat.TORCH2:  # upstream works there; the fix agrees with it
        assert _record_bn_min(upstream) < -0.5
        assert _record_bn_min(BaseAlgorithm.set_module_inplace_false) < -0.5
        return
    # upstream on torch 2: the in-place ReLU clips the recorded BN output
    assert _record_bn_min(upstream) == 0.0
    # fixed: the recorded BN output keeps its negative values
    assert _record_bn_min(BaseAlgorithm.set_module_inplace_false) < -0.5


def test_distill_algorithm_sets_relus_not_inplace():
    from mmrazor.registry import MODELS
    algo = MODELS.build(
        dict(
            type='mmrazor.SingleTeacherDistill',
            architecture=dict(
                _scope_='mmpretrain',
                type='ImageClassifier',
                backbone=dict(type='CIFARResNet', depth=8)),
            teacher=dict(
                _scope_='mmpretrain',
                type='ImageClassifier',
                backbone=dict(type='CIFARResNet', depth=8)),
            distiller=dict(type='ConfigurableDistiller')))
    inplace = [m.inplace for m in algo.modules() if hasattr(m, 'inplace')]
    assert inplace and not any(inplace)


# STACK #11 -------------------------------------------------------------------
def test_kd_soft_ce_loss_works_with_mmpretrain():
    import mmrazor.models.losses.kd_soft_ce_loss as kd_ce
    from mmrazor.models.losses import KDSoftCELoss
    preds_s = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 1.0]])
    preds_t = torch.tensor([[2.0, 1.0, 0.0], [1.0, 0.0, 2.0]])
    tau = 2.0
    # upstream: the mmcls placeholder fails on the first forward
    current = kd_ce.soft_cross_entropy
    kd_ce.soft_cross_entropy = compat.ORIGINALS['fix_kd_soft_ce_loss']
    try:
        with pytest.raises(Exception):
            KDSoftCELoss(tau=tau)(preds_s, preds_t)
    finally:
        kd_ce.soft_cross_entropy = current
    loss = KDSoftCELoss(tau=tau, loss_weight=1.0)(preds_s, preds_t)
    # hand computation: tau^2 * mean_i sum_c -p_t log softmax(s/tau)
    expected = 0.0
    for s, t in zip(preds_s.tolist(), preds_t.tolist()):
        pt = np.exp(np.array(t) / tau)
        pt /= pt.sum()
        ls = np.array(s) / tau
        logp = ls - np.log(np.exp(ls).sum())
        expected += -(pt * logp).sum()
    expected = tau**2 * expected / 2
    assert loss.item() == pytest.approx(expected, rel=1e-5)


# STACK #14 -------------------------------------------------------------------
def _mmrazor_crd_dataset(digits_root, neg_num=5):
    from mmrazor.datasets import CRDDataset
    return CRDDataset(
        dataset=dict(type='mmpretrain.DigitsCIFAR', data_root=digits_root,
                     split='train', pipeline=[]),
        neg_num=neg_num, percent=1.0, lazy_init=True)


def test_crd_dataset_with_classes_of_unequal_size(digits_root):
    from mmrazor.datasets.crd_dataset_wrapper import CRDDataset
    dataset = _mmrazor_crd_dataset(digits_root)
    dataset.dataset.full_init()
    labels = np.asarray(dataset.dataset.get_gt_labels())
    counts = np.bincount(labels)
    assert len(set(counts.tolist())) > 1  # the digits' classes differ
    # upstream: numpy >= 1.24 refuses the ragged per-class lists
    current = CRDDataset._parse_fullset_contrast_info
    CRDDataset._parse_fullset_contrast_info = \
        compat.ORIGINALS['fix_crd_dataset_ragged_classes']
    try:
        if np.lib.NumpyVersion(np.__version__) >= '1.24.0':
            with pytest.raises(ValueError, match='inhomogeneous|sequence'):
                _mmrazor_crd_dataset(digits_root).full_init()
        else:  # older numpy made an object array: same result as ours
            _mmrazor_crd_dataset(digits_root).full_init()
    finally:
        CRDDataset._parse_fullset_contrast_info = current
    dataset.full_init()
    for c in range(10):
        assert dataset.cls_positive[c].tolist() == \
            np.flatnonzero(labels == c).tolist()
        assert len(dataset.cls_negative[c]) == len(labels) - counts[c]
        assert not (labels[dataset.cls_negative[c]] == c).any()
    info = dataset.get_data_info(7)
    idx = info['contrast_sample_idxs']
    assert idx.shape == (6, ) and idx[0] == 7
    assert not (labels[idx[1:]] == labels[7]).any()


# STACK #15 -------------------------------------------------------------------
def test_pack_crd_cls_inputs_without_mmcls(digits_root):
    from mmrazor.models.losses import CRDLoss
    from mmrazor.registry import TRANSFORMS

    # upstream: a subclass of mmcls's PackClsInputs placeholder
    with pytest.raises(ImportError, match='mmcls'):
        compat.ORIGINALS['fix_pack_crd_cls_inputs']()
    pack = TRANSFORMS.build(dict(type='PackCRDClsInputs'))
    dataset = _mmrazor_crd_dataset(digits_root, neg_num=4)
    samples = []
    for i in (0, 5, 9):
        packed = pack.transform(dataset.get_data_info(i))
        assert packed['inputs'].shape == (3, 32, 32)
        sample = packed['data_samples']
        assert sample.sample_idx.dtype == torch.long
        assert int(sample.sample_idx) == i
        assert sample.contrast_sample_idxs.shape == (5, )
        assert int(sample.contrast_sample_idxs[0]) == i
        samples.append(sample)
    # MMRazor's own CRDLoss reads those fields
    torch.manual_seed(0)
    loss = CRDLoss(neg_num=4, sample_n=len(dataset), dim_out=8)(
        torch.randn(3, 8), torch.randn(3, 8), samples)
    assert loss.numel() == 1 and torch.isfinite(loss).all()
    assert loss.item() > 0


# #16 -------------------------------------------------------------------------
