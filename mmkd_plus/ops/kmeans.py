# Copyright (c) OpenMMLab. All rights reserved.
"""K-means for QuEST's visual vocabulary, with FAISS or pure PyTorch.

QuEST (Jain et al., "QuEST: Quantized embedding space for transferring
knowledge", ECCV 2020, https://arxiv.org/abs/1912.01540) quantises the
teacher's feature vectors against a vocabulary of K visual words learned
offline by k-means: L2 on the raw (unnormalised) features, 20 Lloyd
iterations, random initialisation. :func:`kmeans` computes it with one of
two backends:

* ``'faiss'``: ``faiss.Clustering`` from FAISS (Johnson, Douze and Jegou,
  "Billion-scale similarity search with GPUs",
  https://github.com/facebookresearch/faiss), on the GPU of the current
  CUDA device when the installed FAISS build has GPU support
  (``faiss-gpu``), otherwise on the CPU. Install it with
  ``pip install faiss-cpu`` or ``pip install -e '.[cpu]'`` (``'.[gpu]'``
  for CUDA).
* ``'torch'``: a dependency-free Lloyd k-means with a bounded memory
  footprint, on the GPU when torch sees one, else on the CPU.

Only stable FAISS APIs are used (``Clustering``, ``ClusteringParameters``,
``IndexFlatL2``, ``GpuIndexFlatL2``): not ``Clustering.obj`` (gone after
FAISS 1.6.1) nor ``faiss.Kmeans(gpu=...)`` (which spreads over every
visible GPU).
"""
import logging
import math
from typing import NamedTuple, Tuple

import numpy as np
import torch
from mmengine.logging import print_log
from torch import Tensor

from .kd_functional import compute_dtype

__all__ = ['KMeansResult', 'compute_device', 'kmeans', 'squared_distances']

#: Memory bound, in bytes, of one chunk: its (rows, K) fp32 distances
#: plus a float64 copy of its (rows, d) features.
MAX_BLOCK_BYTES = 256 * 1024**2
_BACKENDS = ('auto', 'faiss', 'torch')
# FAISS warns below this many points per centroid; we log it ourselves.
_MIN_POINTS_PER_CENTROID = 39
_FAISS_MISSING = ('FAISS is not installed: run `pip install faiss-cpu` (or '
                  "`pip install -e '.[cpu]'`; `'.[gpu]'` for the CUDA "
                  "build), or use backend='torch'.")
# Fallback messages already logged in this process (each is said once).
_ANNOUNCED = set()


class KMeansResult(NamedTuple):
    """What :func:`kmeans` returns.

    Attributes:
        centroids (Tensor): ``(k, d)`` float32 centroids, on the CPU.
        inertia (float): mean squared L2 distance of the points used to
            their nearest final centroid.
        backend (str): backend that ran: ``'faiss'`` (CPU index),
            ``'faiss-gpu'`` or ``'torch'`` (with its device, e.g.
            ``'torch (cuda:0)'``).
        num_points (int): number of points clustered (after sampling).
    """

    centroids: Tensor
    inertia: float
    backend: str
    num_points: int


def squared_distances(x: Tensor, centroids: Tensor) -> Tensor:
    """Squared Euclidean distances between rows of ``x`` and centroids.

    Computed as ``||x||^2 - 2 x.c + ||c||^2`` (one matrix product) and
    clamped at 0, which rounding can cross, in
    :func:`~mmkd_plus.ops.kd_functional.compute_dtype` (fp16/bf16 in
    float32, float64 stays float64). Differentiable, with no chunking: the
    full ``(N, K)`` block is allocated.

    Args:
        x (Tensor): ``(N, d)`` points.
        centroids (Tensor): ``(K, d)`` centroids, on the device of ``x``.

    Returns:
        Tensor: ``(N, K)`` squared distances.
    """
    if x.dim() != 2 or centroids.dim() != 2 or \
            x.shape[1] != centroids.shape[1]:
        raise ValueError('x and centroids must be (N, d) and (K, d) with the '
                         f'same d; got shapes {tuple(x.shape)} and '
                         f'{tuple(centroids.shape)}.')
    dtype = compute_dtype(x.dtype, centroids.dtype)
    x = x.to(dtype)
    centroids = centroids.to(dtype)
    x_sq = x.pow(2).sum(dim=1, keepdim=True)
    c_sq = centroids.pow(2).sum(dim=1).unsqueeze(0)
    dist = torch.addmm(c_sq, x, centroids.t(), beta=1, alpha=-2)
    return dist.add_(x_sq).clamp_min_(0)


def _default_chunk_size(k: int, d: int) -> int:
    """Rows per chunk so that one chunk stays below the memory bound."""
    return max(1, MAX_BLOCK_BYTES // (4 * k + 8 * d))


@torch.no_grad()
def _nearest(x: Tensor, centroids: Tensor) -> Tuple[Tensor, Tensor]:
    """Nearest centroid of every row and its squared distance, chunked."""
    n = x.shape[0]
    step = _default_chunk_size(*centroids.shape)
    c_sq = centroids.pow(2).sum(dim=1).unsqueeze(0)
    labels = torch.empty(n, dtype=torch.long, device=x.device)
    min_dist = torch.empty(n, dtype=centroids.dtype, device=x.device)
    for start in range(0, n, step):
        chunk = x[start:start + step]
        # ||x||^2 is constant per row: add it after the arg-min.
        dist = torch.addmm(c_sq, chunk, centroids.t(), beta=1, alpha=-2)
        best, idx = dist.min(dim=1)
        labels[start:start + step] = idx
        min_dist[start:start + step] = best.add_(chunk.pow(2).sum(
            dim=1)).clamp_min_(0)
    return labels, min_dist


def _check_inputs(x, k: int, niter: int, seed: int,
                  max_points_per_centroid: float, backend: str) -> None:
    if backend not in _BACKENDS:
        raise ValueError(f'backend must be one of {_BACKENDS}, got '
                         f'{backend!r}.')
    if not isinstance(x, Tensor) or x.is_complex() or \
            x.dtype == torch.bool:
        raise TypeError('x must be a torch.Tensor of real numbers, got '
                        f'{getattr(x, "dtype", type(x).__name__)}.')
    if x.dim() != 2 or x.shape[1] < 1:
        raise ValueError('x must be a 2-D (N, d) array of N feature vectors; '
                         f'got shape {tuple(x.shape)}. Flatten feature maps '
                         'first, e.g. (B, C, H, W) -> (B*H*W, C).')
    n = x.shape[0]
    if not isinstance(k, int) or k < 1:
        raise ValueError(f'k must be a positive integer, got {k!r}.')
    if k > n:
        raise ValueError(f'Cannot make k={k} clusters from only {n} points: '
                         'k must not exceed the number of points. Lower K or '
                         'add data (more images or spatial positions).')
    if not isinstance(niter, int) or niter < 1:
        raise ValueError(f'niter must be a positive integer, got {niter!r}.')
    if not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise ValueError(f'seed must be an integer in [0, 2**31), got '
                         f'{seed!r}.')
    if not max_points_per_centroid >= 1:
        raise ValueError('max_points_per_centroid must be >= 1, got '
                         f'{max_points_per_centroid!r}.')
    if x.is_floating_point():
        step = _default_chunk_size(1, x.shape[1])  # bounds the bool temporary
        for start in range(0, n, step):
            bad = ~torch.isfinite(x[start:start + step]).all(dim=1)
            if bool(bad.any()):
                row = start + int(bad.nonzero()[0, 0])
                raise ValueError('x holds non-finite values (NaN or inf), '
                                 f'first in row {row}; k-means needs finite '
                                 'features.')


def _sample_indices(n: int, max_points: int, seed: int) -> Tensor:
    """At most ``max_points`` distinct rows of ``n``, sorted, seeded."""
    if n <= max_points:
        return torch.arange(n)
    generator = torch.Generator().manual_seed(seed)
    idx = torch.randperm(n, generator=generator)[:max_points]
    return idx.sort().values


def _say_once(message: str) -> None:
    if message not in _ANNOUNCED:
        _ANNOUNCED.add(message)
        print_log(message, logger='current')


# --------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------


@torch.no_grad()
def _lloyd_torch(x: Tensor, k: int, niter: int, seed: int,
                 device: torch.device) -> Tuple[Tensor, float]:
    """Lloyd k-means of every row of ``x`` on ``device``, in float32.

    Random distinct rows start it (a CPU generator seeded with ``seed``, so
    the start does not depend on the device); each iteration assigns the
    points chunk by chunk and moves each centroid to the mean of its points
    (sums in float64). Empty clusters are re-seeded with the points
    farthest from their centroid, largest distance first, as scikit-learn
    does. It stops early only at a fixed point. On the CPU the result is
    bit-for-bit reproducible; on CUDA up to float64 rounding (atomic adds).
    """
    x = x.to(device=device, dtype=torch.float32)
    n, d = x.shape
    step = _default_chunk_size(k, d)
    generator = torch.Generator().manual_seed(seed)
    start = torch.randperm(n, generator=generator)[:k]
    centroids = x[start.to(device)].clone()
    labels = None
    for _ in range(niter):
        new_labels, min_dist = _nearest(x, centroids)
        counts = torch.bincount(new_labels, minlength=k)
        if labels is not None and bool(counts.all()) and torch.equal(
                labels, new_labels):
            return centroids.cpu(), float(min_dist.double().mean())
        labels = new_labels
        sums = torch.zeros(k, d, dtype=torch.float64, device=device)
        for i in range(0, n, step):
            sums.index_add_(0, labels[i:i + step], x[i:i + step].double())
        nonempty = counts > 0
        centroids[nonempty] = (sums[nonempty] /
                               counts[nonempty].unsqueeze(1)).float()
        n_empty = int((~nonempty).sum())
        if n_empty:  # the points worst served by the current centroids
            far = torch.topk(min_dist, n_empty, sorted=True).indices
            centroids[~nonempty] = x[far]
    min_dist = _nearest(x, centroids)[1]
    return centroids.cpu(), float(min_dist.double().mean())


def _kmeans_faiss(x: Tensor, k: int, niter: int, seed: int, gpu: bool,
                  faiss) -> Tuple[Tensor, float]:
    """Cluster all rows of ``x`` with ``faiss.Clustering``."""
    n, d = x.shape
    data = np.ascontiguousarray(x.detach().float().cpu().numpy())
    params = faiss.ClusteringParameters()
    params.niter = int(niter)
    params.seed = int(seed)
    params.spherical = False
    # The rows were sampled already: keep FAISS from sampling again, and
    # from printing its few-points warning (logged by kmeans instead).
    params.max_points_per_centroid = max(1, math.ceil(n / k))
    params.min_points_per_centroid = 1
    clustering = faiss.Clustering(d, k, params)
    res = None
    if gpu:
        # One GPU, the current CUDA device (faiss.Kmeans(gpu=1) would use
        # them all, https://github.com/facebookresearch/faiss/issues/3626).
        res = faiss.StandardGpuResources()
        config = faiss.GpuIndexFlatConfig()
        config.device = torch.cuda.current_device()
        index = faiss.GpuIndexFlatL2(res, d, config)
    else:
        index = faiss.IndexFlatL2(d)
    clustering.train(data, index)
    centroids = faiss.vector_to_array(clustering.centroids).reshape(k, d)
    # After training the index holds exactly the final centroids.
    dist, _ = index.search(data, 1)
    del res
    return (torch.from_numpy(centroids.astype(np.float32)),
            float(np.maximum(dist[:, 0], 0).astype(np.float64).mean()))


def _import_faiss():
    """The ``faiss`` module, or None when it cannot be imported."""
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _faiss_gpu_available(faiss) -> bool:
    if faiss is None or not torch.cuda.is_available():
        return False
    if not hasattr(faiss, 'StandardGpuResources'):  # CPU-only build
        return False
    try:
        return faiss.get_num_gpus() > 0
    except Exception:  # noqa: BLE001 (any failure means no GPU)
        return False


def compute_device(x: Tensor) -> torch.device:
    """Where k-means work on ``x`` runs: on a GPU whenever there is one.

    ``x``'s own GPU if it is on one, else the current CUDA device if torch
    sees a GPU, else the CPU. The torch backend of :func:`kmeans` runs
    there, and so does the closest-word statistic of a vocabulary build.

    Args:
        x (Tensor): The data.

    Returns:
        torch.device: The device.
    """
    if x.device.type == 'cuda':
        return x.device
    if torch.cuda.is_available():
        return torch.device('cuda', torch.cuda.current_device())
    return torch.device('cpu')


def _choose_backend(backend: str, faiss, x: Tensor) -> str:
    """``'faiss-gpu'``, ``'faiss'`` or ``'torch'``, saying so on fallback.

    With a GPU and ``'auto'``, FAISS runs only if it has GPU support;
    otherwise the torch backend runs on the GPU, and one log line per
    process says that ``faiss-gpu`` is missing.
    """
    if backend == 'torch':
        return 'torch'
    if _faiss_gpu_available(faiss):
        return 'faiss-gpu'
    if backend == 'faiss':
        if faiss is None:
            raise ImportError(_FAISS_MISSING)
        return 'faiss'
    if torch.cuda.is_available():
        installed = 'faiss-cpu is installed' if faiss is not None \
            else 'FAISS is not installed'
        _say_once(f'k-means: a GPU is present but {installed}, without GPU '
                  'support: the pure-torch k-means runs on the GPU instead '
                  '(`pip install faiss-gpu` for FAISS\'s GPU index).')
        return 'torch'
    if faiss is None:
        _say_once('k-means: FAISS is not installed: the pure-torch k-means '
                  'runs on the CPU (`pip install faiss-cpu` is faster).')
        return 'torch'
    return 'faiss'


# --------------------------------------------------------------------------
# Front end
# --------------------------------------------------------------------------


def kmeans(x: Tensor,
           k: int,
           niter: int = 20,
           seed: int = 0,
           max_points_per_centroid: float = 256,
           backend: str = 'auto') -> KMeansResult:
    """K-means (squared L2, Lloyd) of the rows of ``x``, FAISS or torch.

    QuEST's settings are the defaults: raw features (no PCA, no
    normalisation: do them beforehand if wanted), 20 iterations, random
    initialisation.

    Sampling: when ``N > max_points_per_centroid * k``, that many distinct
    rows are drawn first with a ``torch.Generator`` seeded with ``seed``
    (FAISS is then kept from sub-sampling again), and only they are
    clustered. The default 256 is FAISS's own default and bounds time and
    memory; QuEST's code passes ``max_points_per_centroid=1e7``, i.e. no
    sampling, which a large value reproduces.

    Backends: ``'faiss'`` requires FAISS and runs on the current CUDA
    device (only that one) when torch sees a GPU and the FAISS build has
    GPU support, and on the CPU otherwise. ``'torch'`` runs the pure-torch
    Lloyd on ``x``'s GPU, else on the current GPU when there is one, else
    on the CPU. ``'auto'`` picks FAISS's GPU index if it can; on a GPU
    machine without ``faiss-gpu`` the torch backend on the GPU (saying so
    once); on a CPU machine FAISS if installed, else torch. The backends
    use different random streams, so for one seed they converge to close
    but not bit-identical centroids; each alone is deterministic on the
    CPU.

    Args:
        x (Tensor): ``(N, d)`` features (any real dtype; computed in
            float32), on any device.
        k (int): number of centroids (visual words), ``1 <= k <= N``.
        niter (int): Lloyd iterations. Defaults to 20.
        seed (int): seed of the sampling and of the initialisation, in
            ``[0, 2**31)``. Defaults to 0.
        max_points_per_centroid (int | float): at most this many points
            per centroid are clustered. Defaults to 256.
        backend (str): ``'auto'``, ``'faiss'`` or ``'torch'``.
            Defaults to ``'auto'``.

    Returns:
        KMeansResult: ``(k, d)`` float32 centroids on the CPU, the inertia
        of the points used, the backend that ran and the number of points
        used.

    Raises:
        ValueError: ``x`` is not 2-D, holds NaN/inf, or has fewer than
            ``k`` rows; or an argument is out of range.
        ImportError: ``backend='faiss'`` and FAISS is not installed.
    """
    _check_inputs(x, k, niter, seed, max_points_per_centroid, backend)
    faiss = _import_faiss() if backend != 'torch' else None
    chosen = _choose_backend(backend, faiss, x)

    n = x.shape[0]
    max_points = int(min(n, max_points_per_centroid * k))
    if max_points < n:
        x = x[_sample_indices(n, max_points, seed).to(x.device)]
    if max_points < _MIN_POINTS_PER_CENTROID * k:
        print_log(
            f'k-means: clustering {max_points} points into {k} centroids; '
            f'at least {_MIN_POINTS_PER_CENTROID * k} points '
            f'({_MIN_POINTS_PER_CENTROID} per centroid) are advised.',
            logger='current',
            level=logging.WARNING)
    if chosen == 'torch':
        device = compute_device(x)
        centroids, inertia = _lloyd_torch(x, k, niter, seed, device)
        chosen = f'torch ({device})' if device.type != 'cpu' else 'torch'
    else:
        centroids, inertia = _kmeans_faiss(x, k, niter, seed,
                                           chosen == 'faiss-gpu', faiss)
    return KMeansResult(
        centroids=centroids,
        inertia=inertia,
        backend=chosen,
        num_points=max_points)
