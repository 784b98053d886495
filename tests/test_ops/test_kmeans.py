# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of mmkd_plus.ops.kmeans (FAISS and pure-torch k-means)."""
import sys
import types

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

from mmkd_plus.ops import KMeansResult, compute_device, kmeans
from mmkd_plus.ops.kd_functional import compute_dtype
from mmkd_plus.ops.kmeans import squared_distances

# the module (mmkd_plus.ops re-exports a function of the same name)
km = sys.modules['mmkd_plus.ops.kmeans']

try:
    import faiss  # noqa: F401
    HAS_FAISS = True
except ImportError:
    HAS_FAISS = False

needs_faiss = pytest.mark.skipif(not HAS_FAISS, reason='faiss not installed')
BACKENDS = [
    pytest.param('faiss', marks=needs_faiss),
    'torch',
]


def make_blobs(num_blobs=4, per_blob=200, dim=8, std=0.05, seed=0):
    """Well-separated Gaussian blobs; returns (points, true centres)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(num_blobs, dim)) * 3
    points = np.concatenate(
        [c + std * rng.normal(size=(per_blob, dim)) for c in centres])
    return torch.from_numpy(points.astype(np.float32)), centres


def matched_error(found, centres):
    """Largest centre error after the best one-to-one matching."""
    found = np.asarray(found, dtype=np.float64)
    cost = ((found[:, None] - centres[None])**2).sum(-1)
    rows, cols = linear_sum_assignment(cost)
    return float(np.sqrt(cost[rows, cols]).max())


@pytest.fixture(scope='module')
def blobs():
    return make_blobs()


@pytest.mark.parametrize('backend', BACKENDS)
def test_recovers_blob_centres(blobs, backend):
    x, centres = blobs
    # Random init (QuEST's) can start two centroids in one of only four
    # blobs; with seed 4 both backends start in four different blobs.
    result = kmeans(x, 4, seed=4, backend=backend)
    assert isinstance(result, KMeansResult)
    assert result.backend == backend
    assert result.centroids.shape == (4, 8)
    assert result.centroids.dtype == torch.float32
    assert result.centroids.device.type == 'cpu'
    assert result.num_points == 800
    assert matched_error(result.centroids, centres) < 0.05
    assert result.inertia == pytest.approx(8 * 0.05**2, rel=0.2)


def test_torch_backend_is_lloyd_as_scikit_learn():
    """From the same start (the rows randperm(seed) picks), the torch Lloyd
    ends where scikit-learn's Lloyd does."""
    x = torch.from_numpy(
        np.random.default_rng(1).normal(size=(600, 6)).astype(np.float32))
    start = torch.randperm(600, generator=torch.Generator().manual_seed(5))
    ref = KMeans(
        n_clusters=10,
        init=x[start[:10]].double().numpy(),
        n_init=1,
        max_iter=15,
        tol=0.0,
        algorithm='lloyd').fit(x.double().numpy())
    got = kmeans(x, 10, niter=15, seed=5, backend='torch')
    np.testing.assert_allclose(
        got.centroids.numpy(), ref.cluster_centers_, rtol=1e-4, atol=1e-5)
    assert got.inertia == pytest.approx(ref.inertia_ / 600, rel=1e-4)


@pytest.mark.parametrize('backend', BACKENDS)
def test_same_seed_same_centroids(backend):
    x = torch.from_numpy(
        np.random.default_rng(1).normal(size=(2000, 16)).astype(np.float32))
    first = kmeans(x, 20, seed=3, backend=backend)
    second = kmeans(x, 20, seed=3, backend=backend)
    assert torch.equal(first.centroids, second.centroids)
    other = kmeans(x, 20, seed=4, backend=backend)
    assert not torch.equal(first.centroids, other.centroids)


def test_squared_distances_brute_force():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 6))
    c = rng.normal(size=(7, 6))
    expected = ((x[:, None] - c[None])**2).sum(-1)
    got = squared_distances(
        torch.tensor(x, dtype=torch.float32),
        torch.tensor(c, dtype=torch.float32))
    assert got.shape == (50, 7) and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-4)
    # a point on a centroid: ~0 (rounding of the expansion), never < 0
    big = torch.tensor(c * 100, dtype=torch.float32)
    same = squared_distances(big[:3], big)
    assert (same >= 0).all()
    assert torch.all(same.diagonal() <= 1e-5 * big[:3].pow(2).sum(1))
    # the package's one dtype rule: fp16 in float32, float64 stays
    for a, b in [(torch.half, torch.half), (torch.double, torch.float),
                 (torch.bfloat16, torch.float)]:
        got = squared_distances(big.to(a), big.to(b)).dtype
        assert got == compute_dtype(a, b)
    assert compute_dtype(torch.half) == torch.float32
    assert compute_dtype(torch.half, torch.double) == torch.float64


def test_sampling_bound_and_seed():
    x = torch.from_numpy(
        np.random.default_rng(4).normal(size=(3000, 4)).astype(np.float32))
    result = kmeans(x, 5, seed=0, max_points_per_centroid=40, backend='torch')
    assert result.num_points == 40 * 5
    # the 200 rows clustered are the seeded sample: k-means of them alone
    # (no further sampling) gives the same centroids
    rows = km._sample_indices(3000, 200, 0)
    assert len(set(rows.tolist())) == 200
    alone = kmeans(x[rows], 5, seed=0, backend='torch')
    assert torch.equal(alone.centroids, result.centroids)
    other = km._sample_indices(3000, 200, 1)
    assert not torch.equal(rows, other)
    # a large bound (as QuEST's 1e7) uses every point
    full = kmeans(x, 5, max_points_per_centroid=1e7, backend='torch')
    assert full.num_points == 3000


@pytest.mark.parametrize('backend', BACKENDS)
def test_error_messages(backend):
    x = torch.zeros(10, 3)
    with pytest.raises(ValueError, match=r'k=11.*only 10 points.*Lower K'):
        kmeans(x, 11, backend=backend)
    with pytest.raises(ValueError, match=r'2-D.*\(4, 5, 6\)'):
        kmeans(torch.zeros(4, 5, 6), 2, backend=backend)
    bad = torch.ones(10, 3)
    bad[6, 1] = float('nan')
    with pytest.raises(ValueError, match=r'non-finite.*row 6'):
        kmeans(bad, 2, backend=backend)
    bad[6, 1] = float('inf')
    with pytest.raises(ValueError, match='non-finite'):
        kmeans(bad, 2, backend=backend)
    with pytest.raises(ValueError, match='backend must be one of'):
        kmeans(x, 2, backend='sklearn')
    with pytest.raises(TypeError, match='torch.Tensor of real numbers'):
        kmeans(x.numpy(), 2, backend=backend)


@needs_faiss
def test_auto_backend_uses_faiss():
    x, _ = make_blobs(per_blob=20)
    assert kmeans(x, 4, niter=2).backend == 'faiss'


def test_auto_backend_without_faiss(monkeypatch):
    monkeypatch.setitem(sys.modules, 'faiss', None)  # import raises
    monkeypatch.setattr(km, '_ANNOUNCED', set())
    x, _ = make_blobs(per_blob=20)
    assert kmeans(x, 4, niter=2).backend == 'torch'
    assert kmeans(x, 4, niter=2).backend == 'torch'
    with pytest.raises(ImportError, match='pip install faiss-cpu'):
        kmeans(x, 4, backend='faiss')
    assert km._ANNOUNCED == {
        'k-means: FAISS is not installed: the pure-torch k-means runs on '
        'the CPU (`pip install faiss-cpu` is faster).'
    }


@pytest.mark.parametrize('backend', BACKENDS)
def test_fp16_input(blobs, backend):
    x, centres = blobs
    result = kmeans(x.half(), 4, seed=4, backend=backend)
    assert result.centroids.dtype == torch.float32
    assert matched_error(result.centroids, centres) < 0.05


def test_empty_clusters_are_reseeded():
    # 90 copies of one point: random init picks it several times, which
    # leaves clusters empty (ties go to the lowest index) until re-seeded
    # with the farthest points.
    x = torch.zeros(100, 2)
    x[90:95] = torch.tensor([10.0, 0.0])
    x[95:] = torch.tensor([0.0, 10.0])
    for seed in range(3):
        result = kmeans(x, 3, seed=seed, backend='torch')
        assert result.inertia == 0
        found = sorted(map(tuple, result.centroids.tolist()))
        assert found == [(0.0, 0.0), (0.0, 10.0), (10.0, 0.0)]


def _fake_gpu(monkeypatch, device_index=2):
    """torch sees GPUs, of which ``device_index`` is the current one."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'current_device', lambda: device_index)


@needs_faiss
def test_faiss_gpu_path_uses_one_index_on_the_current_device(
        blobs, monkeypatch):
    """The GPU branch, run on the CPU with a stand-in for faiss-gpu: one
    GpuIndexFlatL2 on torch's current CUDA device (not every GPU), and the
    same clustering as the CPU index."""
    made = []

    class FakeConfig:
        device = None

    def gpu_index(res, d, config):
        made.append((res, d, config.device))
        return faiss.IndexFlatL2(d)  # the same maths, on the CPU

    fake = types.SimpleNamespace(
        **{
            name: getattr(faiss, name)
            for name in ('ClusteringParameters', 'Clustering', 'IndexFlatL2',
                         'vector_to_array')
        })
    fake.StandardGpuResources = object
    fake.GpuIndexFlatConfig = FakeConfig
    fake.GpuIndexFlatL2 = gpu_index
    fake.get_num_gpus = lambda: 4
    monkeypatch.setattr(km, '_import_faiss', lambda: fake)
    _fake_gpu(monkeypatch)

    x, _ = blobs
    gpu = kmeans(x, 4, niter=10, seed=3, backend='auto')
    assert gpu.backend == 'faiss-gpu'
    assert len(made) == 1 and made[0][2] == 2  # device 2 of 4, only
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cpu = kmeans(x, 4, niter=10, seed=3, backend='faiss')
    assert cpu.backend == 'faiss'
    assert torch.allclose(gpu.centroids, cpu.centroids)


@pytest.mark.parametrize('faiss_build', ['cpu', 'missing'])
def test_gpu_without_faiss_gpu_runs_torch_on_the_gpu_and_says_so_once(
        blobs, monkeypatch, faiss_build):
    """A GPU but no faiss-gpu: 'auto' runs the torch k-means on the current
    GPU (not on the CPU, not FAISS's CPU index) and logs it once."""
    _fake_gpu(monkeypatch)
    fake = types.SimpleNamespace() if faiss_build == 'cpu' else None
    monkeypatch.setattr(km, '_import_faiss', lambda: fake)
    monkeypatch.setattr(km, '_ANNOUNCED', set())
    calls = []

    def lloyd(x, k, niter, seed, device):
        calls.append(device)
        return torch.zeros(k, x.shape[1]), 0.0

    monkeypatch.setattr(km, '_lloyd_torch', lloyd)
    messages = []
    monkeypatch.setattr(km, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    x, _ = blobs
    for _ in range(3):
        assert kmeans(x, 4, backend='auto').backend == 'torch (cuda:2)'
    assert kmeans(x, 4, backend='torch').backend == 'torch (cuda:2)'
    assert calls == [torch.device('cuda', 2)] * 4
    said = [m for m in messages if 'faiss-gpu' in m]
    installed = ('faiss-cpu is installed' if faiss_build == 'cpu' else
                 'FAISS is not installed')
    assert len(said) == 1 and installed in said[0]
    assert 'pure-torch k-means runs on the GPU' in said[0]


def test_compute_device(monkeypatch):
    x = torch.zeros(3, 2)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert compute_device(x) == torch.device('cpu')
    _fake_gpu(monkeypatch, 1)
    assert compute_device(x) == torch.device('cuda', 1)
