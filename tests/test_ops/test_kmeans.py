# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of mmkd_plus.ops.kmeans (FAISS and pure-torch k-means)."""
import sys

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from mmkd_plus.ops import (KMeansResult, assign, kmeans, kmeans_torch,
                           squared_distances)

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
    return points.astype(np.float32), centres


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
    # Random init (the default, as QuEST/FAISS) can put two centroids in
    # one of only 4 blobs; k-means++ cannot on separated blobs.
    result = kmeans(x, 4, seed=0, backend=backend, init='k-means++')
    assert isinstance(result, KMeansResult)
    assert result.backend == backend
    assert result.centroids.shape == (4, 8)
    assert result.centroids.dtype == torch.float32
    assert result.centroids.device.type == 'cpu'
    assert result.assignments.dtype == torch.long
    assert result.assignments.shape == (800, )
    assert result.num_points == 800
    assert torch.equal(result.indices, torch.arange(800))
    assert matched_error(result.centroids, centres) < 0.05
    # 4 blobs of 200 points, each its own cluster
    assert sorted(torch.bincount(result.assignments).tolist()) == [200] * 4
    assert result.inertia == pytest.approx(8 * 0.05**2, rel=0.2)


@needs_faiss
def test_faiss_and_torch_agree(blobs):
    x, _ = blobs
    a = kmeans(x, 4, seed=1, backend='faiss', init='k-means++')
    b = kmeans(x, 4, seed=1, backend='torch', init='k-means++')
    assert matched_error(a.centroids, b.centroids.numpy()) < 1e-3
    assert a.inertia == pytest.approx(b.inertia, rel=1e-3)


@pytest.mark.parametrize('backend', BACKENDS)
def test_same_seed_same_centroids(backend):
    x = np.random.default_rng(1).normal(size=(2000, 16)).astype(np.float32)
    first = kmeans(x, 20, seed=3, backend=backend)
    second = kmeans(x, 20, seed=3, backend=backend)
    assert torch.equal(first.centroids, second.centroids)
    assert torch.equal(first.assignments, second.assignments)
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
    # fp16 is computed in float32, float64 stays float64
    assert squared_distances(big.half(), big.half()).dtype == torch.float32
    assert squared_distances(big.double(), big).dtype == torch.float64


def test_assign_is_brute_force_argmin():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 8)).astype(np.float32)
    c = rng.normal(size=(16, 8)).astype(np.float32)
    expected = ((x[:, None] - c[None])**2).sum(-1).argmin(1)
    labels = assign(torch.from_numpy(x), torch.from_numpy(c))
    assert labels.dtype == torch.long
    np.testing.assert_array_equal(labels.numpy(), expected)
    small = assign(torch.from_numpy(x), torch.from_numpy(c), chunk_size=7)
    assert torch.equal(small, labels)


@pytest.mark.parametrize('backend', BACKENDS)
def test_sampling_bound(backend):
    x = np.random.default_rng(4).normal(size=(3000, 4)).astype(np.float32)
    result = kmeans(x, 5, seed=0, max_points_per_centroid=40, backend=backend)
    assert result.num_points == 40 * 5
    assert result.assignments.shape == (200, )
    assert result.indices.shape == (200, )
    assert len(set(result.indices.tolist())) == 200
    assert torch.all(result.indices[1:] > result.indices[:-1])
    # assignments refer to the sampled rows
    sampled = torch.from_numpy(x)[result.indices]
    assert torch.equal(assign(sampled, result.centroids), result.assignments)
    # a large bound (as QuEST's 1e7) uses every point
    full = kmeans(x, 5, max_points_per_centroid=1e7, backend=backend)
    assert full.num_points == 3000


def test_sampling_is_seeded():
    x = np.random.default_rng(5).normal(size=(3000, 4)).astype(np.float32)
    a = kmeans(x, 5, seed=7, max_points_per_centroid=40, backend='torch')
    b = kmeans(x, 5, seed=7, max_points_per_centroid=40, backend='torch')
    c = kmeans(x, 5, seed=8, max_points_per_centroid=40, backend='torch')
    assert torch.equal(a.indices, b.indices)
    assert not torch.equal(a.indices, c.indices)


@pytest.mark.parametrize('backend', BACKENDS)
def test_error_messages(backend):
    x = np.zeros((10, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r'k=11.*only 10 points.*Lower K'):
        kmeans(x, 11, backend=backend)
    with pytest.raises(ValueError, match=r'2-D.*\(4, 5, 6\)'):
        kmeans(np.zeros((4, 5, 6), dtype=np.float32), 2, backend=backend)
    bad = np.ones((10, 3), dtype=np.float32)
    bad[6, 1] = np.nan
    with pytest.raises(ValueError, match=r'non-finite.*row 6'):
        kmeans(bad, 2, backend=backend)
    bad[6, 1] = np.inf
    with pytest.raises(ValueError, match='non-finite'):
        kmeans_torch(bad, 2)
    with pytest.raises(ValueError, match='backend must be one of'):
        kmeans(x, 2, backend='sklearn')


@needs_faiss
def test_auto_backend_uses_faiss():
    x, _ = make_blobs(per_blob=20)
    assert kmeans(x, 4, niter=2).backend == 'faiss'


def test_auto_backend_without_faiss(monkeypatch):
    monkeypatch.setitem(sys.modules, 'faiss', None)  # import raises
    x, _ = make_blobs(per_blob=20)
    assert kmeans(x, 4, niter=2).backend == 'torch'
    with pytest.raises(ImportError, match='pip install faiss-cpu'):
        kmeans(x, 4, backend='faiss')


@pytest.mark.parametrize('init', ['random', 'k-means++'])
def test_chunked_equals_unchunked(init):
    x = np.random.default_rng(6).normal(size=(600, 8)).astype(np.float32)
    whole = kmeans_torch(x, 12, seed=2, init=init)
    chunked = kmeans_torch(x, 12, seed=2, init=init, chunk_size=37)
    torch.testing.assert_close(chunked.centroids, whole.centroids)
    assert torch.equal(chunked.assignments, whole.assignments)
    assert chunked.inertia == pytest.approx(whole.inertia)


@pytest.mark.parametrize('backend', BACKENDS)
def test_fp16_input(blobs, backend):
    x, centres = blobs
    result = kmeans(
        torch.from_numpy(x).half(), 4, backend=backend, init='k-means++')
    assert result.centroids.dtype == torch.float32
    assert matched_error(result.centroids, centres) < 0.05


def test_empty_clusters_are_reseeded():
    # 90 copies of one point: random init picks it several times, which
    # leaves clusters empty (ties go to the lowest index) until re-seeded
    # with the farthest points.
    x = np.zeros((100, 2), dtype=np.float32)
    x[90:95] = [10.0, 0.0]
    x[95:] = [0.0, 10.0]
    for seed in range(3):
        result = kmeans_torch(x, 3, seed=seed)
        assert torch.bincount(result.assignments, minlength=3).min() > 0
        assert result.inertia == 0
        found = sorted(map(tuple, result.centroids.tolist()))
        assert found == [(0.0, 0.0), (0.0, 10.0), (10.0, 0.0)]


@needs_faiss
def test_faiss_gpu_path_uses_one_index_on_the_current_device(
        blobs, monkeypatch):
    """The GPU branch, run on the CPU with a stand-in for faiss-gpu: one
    GpuIndexFlatL2 on torch's current CUDA device (not every GPU), and the
    same clustering as the CPU index."""
    import types

    # the module (mmkd_plus.ops re-exports a function of the same name)
    km = sys.modules['mmkd_plus.ops.kmeans']
    made = []

    class FakeConfig:
        device = None

    def gpu_index(res, d, config):
        made.append((res, d, config.device))
        return faiss.IndexFlatL2(d)  # the same maths, on the CPU

    fake = types.SimpleNamespace(**{
        name: getattr(faiss, name)
        for name in ('ClusteringParameters', 'Clustering', 'IndexFlatL2',
                     'vector_to_array',
                     'ClusteringInitMethod_KMEANS_PLUS_PLUS')
        if hasattr(faiss, name)
    })
    fake.StandardGpuResources = object
    fake.GpuIndexFlatConfig = FakeConfig
    fake.GpuIndexFlatL2 = gpu_index
    fake.get_num_gpus = lambda: 4
    monkeypatch.setattr(km, '_import_faiss', lambda: fake)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'current_device', lambda: 2)

    x, _ = blobs
    gpu = kmeans(x, 4, niter=10, seed=3, backend='faiss')
    assert gpu.backend == 'faiss-gpu'
    assert len(made) == 1 and made[0][2] == 2  # device 2 of 4, only
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cpu = kmeans(x, 4, niter=10, seed=3, backend='faiss')
    assert cpu.backend == 'faiss'
    assert torch.allclose(gpu.centroids, cpu.centroids)
