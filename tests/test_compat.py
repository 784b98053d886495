# Copyright (c) OpenMMLab. All rights reserved.
"""Each torch-2 fix of mmkd_plus.compat, shown failing without it.

On torch <= 1.13 (``make test-legacy``: MMRazor's own stack) the same tests
check that each fix is harmless there: it does not act, or it acts and
gives what upstream gives on that torch.
"""
import io
import os
import socket
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from kd_test_utils import free_port

from mmkd_plus import compat

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code: str, skip: str = '') -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=REPO)
    env[compat.SKIP_ENV] = skip
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          env=env,
                          timeout=300)


TORCH2_ONLY = ('stub_mmrazor_quantization',
               'allow_mmengine_checkpoint_globals')
QUANT_CFG = dict(
    w_observer=dict(type='mmrazor.PerChannelMinMaxObserver'),
    a_observer=dict(type='mmrazor.MovingAverageMinMaxObserver'),
    w_fake_quant=dict(type='mmrazor.FakeQuantize'),
    a_fake_quant=dict(type='mmrazor.FakeQuantize'),
    w_qscheme=dict(qdtype='qint8', bit=8),
    a_qscheme=dict(qdtype='quint8', bit=8))


def test_fixes_applied_for_this_torch():
    acted = compat.applied_fixes()
    for name in ('fix_cpu_distributed_init', 'fix_cpu_ddp_device_ids',
                 'fix_cpu_sync_bn', 'fix_set_module_inplace_false',
                 'fix_kd_soft_ce_loss', 'fix_crd_dataset_ragged_classes',
                 'fix_pack_crd_cls_inputs', 'fix_random_crop_padding_mode',
                 *TORCH2_ONLY):
        # torch <= 1.13: the import-time fixes must not act
        assert (name in acted) == (compat.TORCH2
                                   or name not in TORCH2_ONLY), name
    # idempotent: a second apply changes nothing and reports the same
    assert compat.apply() == acted


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


# STACK #8 -------------------------------------------------------------------
def test_torchvision_import_without_op_schemas():
    import torchvision.extension as ext
    if ext._has_ops():
        # a matching torchvision build: the fix must do nothing
        assert 'define_torchvision_op_schemas' not in compat.applied_fixes()
        return
    proc = run_python('import mmkd_plus', skip='define_torchvision_op_schemas')
    assert proc.returncode != 0
    assert 'operator torchvision::nms does not exist' in proc.stderr
    # with the fix, torchvision's Python parts work
    from torchvision.transforms import functional as F
    img = torch.arange(12.).reshape(1, 3, 4)
    assert torch.equal(F.hflip(img), img.flip(-1))


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


# STACK #3 -------------------------------------------------------------------
def _mmengine_like_checkpoint() -> bytes:
    from mmengine.logging.history_buffer import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    ckpt = dict(
        meta=dict(epoch=np.int64(3), lr=np.float64(0.1)),
        message_hub=dict(log_scalars={'train/loss': buf}),
        state_dict={'w': torch.ones(2)})
    stream = io.BytesIO()
    torch.save(ckpt, stream)
    return stream.getvalue()


def test_weights_only_load_of_mmengine_checkpoint():
    data = _mmengine_like_checkpoint()
    if not hasattr(torch.serialization, 'add_safe_globals'):
        # torch < 2.4 (mmengine loads with weights_only=False): no fix
        assert 'allow_mmengine_checkpoint_globals' not in compat.ORIGINALS
        ckpt = torch.load(io.BytesIO(data))
        assert ckpt['meta']['epoch'] == 3
        return
    allowed = compat.ORIGINALS['allow_mmengine_checkpoint_globals']
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(Exception, match='HistoryBuffer|Unsupported'):
            torch.load(io.BytesIO(data), weights_only=True)
    finally:
        torch.serialization.add_safe_globals(allowed)
    ckpt = torch.load(io.BytesIO(data), weights_only=True)
    assert ckpt['meta']['epoch'] == 3
    assert ckpt['message_hub']['log_scalars']['train/loss'].current() == 1.5
    # anything else is still refused by the safe loader
    stream = io.BytesIO()
    torch.save({'f': socket.socket}, stream)
    with pytest.raises(Exception, match='socket'):
        torch.load(io.BytesIO(stream.getvalue()), weights_only=True)


# STACK #5, #6, #7 -----------------------------------------------------------


@contextmanager
def _single_process_group(init):
    env = dict(
        RANK='0',
        WORLD_SIZE='1',
        LOCAL_RANK='0',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(free_port()))
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        init('nccl')
        yield
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_cpu_distributed_init_uses_gloo():
    import mmengine.dist.utils as dist_utils
    upstream = compat.ORIGINALS['fix_cpu_distributed_init']
    with pytest.raises((AttributeError, RuntimeError, AssertionError)):
        with _single_process_group(upstream):
            pass
    with _single_process_group(dist_utils._init_dist_pytorch):
        assert dist.get_backend() == 'gloo'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_cpu_ddp_wrap_and_sync_bn():
    import mmengine.dist.utils as dist_utils
    import mmengine.runner.runner as runner_mod
    from mmengine.model import MMDistributedDataParallel
    upstream_init = compat.ORIGINALS['fix_cpu_ddp_device_ids']
    upstream_sync = compat.ORIGINALS['fix_cpu_sync_bn']
    with _single_process_group(dist_utils._init_dist_pytorch):
        model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
        ddp = object.__new__(MMDistributedDataParallel)
        with pytest.raises(ValueError, match='device_ids'):
            upstream_init(ddp, module=model, device_ids=[0])
        wrapped = MMDistributedDataParallel(module=model, device_ids=[0])
        assert wrapped.device_ids is None
        # SyncBN: upstream converts, and the CPU forward then fails
        synced = upstream_sync(
            nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)))
        with pytest.raises(ValueError, match='GPU'):
            synced(torch.randn(2, 3, 4, 4))
        kept = runner_mod.convert_sync_batchnorm(model, 'torch')
        assert isinstance(kept[1], nn.BatchNorm2d)
        kept(torch.randn(2, 3, 4, 4))


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


def test_torchvision_fix_leaves_a_matching_build_alone(monkeypatch):
    """Where torchvision's compiled ops load (a matching CUDA/CPU build),
    the fix loads them and defines no schema of its own, so torchvision's
    own registration never collides with ours."""
    import torchvision.extension as ext
    loaded = []
    monkeypatch.setattr(torch.ops, 'load_library', loaded.append)
    assert compat._torchvision_ops_load() is True
    assert len(loaded) == 1 and '_C' in os.path.basename(loaded[0])

    def fail(path):
        raise OSError(f'Could not load this library: {path}')

    monkeypatch.setattr(torch.ops, 'load_library', fail)
    assert compat._torchvision_ops_load() is False
    # on this machine the real load fails exactly when torchvision has no ops
    monkeypatch.undo()
    if not ext._has_ops():
        assert compat._torchvision_ops_load() is False


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
def test_random_crop_pads_in_its_padding_mode():
    """mmpretrain's RandomCrop pads ``padding`` with zeros whatever its
    ``padding_mode`` (the original method); fixed, reflect mirrors the
    image as torchvision's RandomCrop(32, padding=4, padding_mode='reflect')
    does, and the constant mode and the crop's random draws are unchanged."""
    import numpy as np
    import torchvision.transforms.functional as TF
    from mmpretrain.datasets.transforms import RandomCrop
    image = np.random.default_rng(0).integers(
        0, 255, (32, 32, 3), dtype=np.uint8)
    original = compat.ORIGINALS['fix_random_crop_padding_mode']
    for mode in ('reflect', 'edge', 'symmetric', 'constant'):
        crop = RandomCrop(crop_size=40, padding=4, padding_mode=mode)
        fixed = crop.transform(dict(img=image.copy()))['img']
        # the whole padded image (40 x 40): torchvision's padding
        expected = np.asarray(
            TF.pad(torch.from_numpy(image).permute(2, 0, 1), 4,
                   padding_mode=mode).permute(1, 2, 0))
        assert np.array_equal(fixed, expected), mode
        upstream = original(crop, dict(img=image.copy()))['img']
        assert (upstream[:4] == 0).all(), mode  # zeros, whatever the mode
        assert crop.padding == 4  # left as configured
    crop = RandomCrop(crop_size=32, padding=4, padding_mode='reflect')
    states = []
    for transform in (crop.transform, lambda r: original(crop, r)):
        np.random.seed(3)
        transform(dict(img=image.copy()))
        states.append(np.random.get_state()[1].copy())
    assert np.array_equal(*states)  # the crop draws the same numbers
