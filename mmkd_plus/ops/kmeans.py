# Copyright (c) OpenMMLab. All rights reserved.
"""K-means for QuEST's visual vocabulary, with FAISS or pure PyTorch.

QuEST (Jain et al., "QuEST: Quantized embedding space for transferring
knowledge", ECCV 2020, https://arxiv.org/abs/1912.01540) quantises the
teacher's feature vectors against a vocabulary of K visual words learned
offline by k-means: L2 on the raw (unnormalised) features, 20 Lloyd
iterations, random initialisation.

Two backends compute the same algorithm:

* ``'faiss'``: ``faiss.Clustering`` from FAISS (Johnson, Douze and Jegou,
  "Billion-scale similarity search with GPUs",
  https://github.com/facebookresearch/faiss), on the GPU of the current
  CUDA device when the installed FAISS build has GPU support, otherwise on
  the CPU. Install it with ``pip install faiss-cpu`` or
  ``pip install -e '.[cpu]'`` (``'.[gpu]'`` for CUDA).
* ``'torch'``: :func:`kmeans_torch`, a dependency-free Lloyd k-means that
  runs on the device of its input with a bounded memory footprint.

On the CPU both are bit-for-bit deterministic for a given ``seed``. Only
stable FAISS APIs are used (``Clustering``, ``ClusteringParameters``,
``IndexFlatL2``): in particular not ``Clustering.obj`` (gone after FAISS
1.6.1) nor ``faiss.Kmeans(gpu=...)`` (which spreads over every visible GPU).
"""
import logging
import math
from typing import NamedTuple, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log
from torch import Tensor

__all__ = [
    'KMeansResult', 'assign', 'kmeans', 'kmeans_torch', 'squared_distances'
]

ArrayLike = Union[Tensor, np.ndarray]

#: Memory bound, in bytes, of one chunk: its (rows, K) fp32 distances
#: plus a float64 copy of its (rows, d) features.
MAX_BLOCK_BYTES = 256 * 1024**2
_BACKENDS = ('auto', 'faiss', 'torch')
_INITS = ('random', 'k-means++')
# FAISS warns below this many points per centroid; we log it ourselves.
_MIN_POINTS_PER_CENTROID = 39
_FAISS_MISSING = ('FAISS is not installed: run `pip install faiss-cpu` (or '
                  "`pip install -e '.[cpu]'`; `'.[gpu]'` for the CUDA "
                  "build), or use backend='torch'.")


class KMeansResult(NamedTuple):
    """What :func:`kmeans` and :func:`kmeans_torch` return.

    Attributes:
        centroids (Tensor): ``(k, d)`` float32 centroids, on the CPU.
        assignments (Tensor): ``(num_points,)`` int64 index of the nearest
            final centroid of every point used (on the CPU).
        inertia (float): mean squared L2 distance of the points used to
            their nearest final centroid.
        backend (str): backend that ran: ``'faiss'`` (CPU index),
            ``'faiss-gpu'`` or ``'torch'``.
        num_points (int): number of points clustered (after sampling).
        indices (Tensor): ``(num_points,)`` int64 rows of the input that
            were clustered, in increasing order (all rows when no
            sampling happened); ``assignments[i]`` belongs to row
            ``indices[i]``.
    """

    centroids: Tensor
    assignments: Tensor
    inertia: float
    backend: str
    num_points: int
    indices: Tensor


# --------------------------------------------------------------------------
# Distances and assignment
# --------------------------------------------------------------------------


def _compute_dtype(*dtypes: torch.dtype) -> torch.dtype:
    """At least float32 (fp16/bf16/integers are computed in float32)."""
    dtype = torch.float32
    for dt in dtypes:
        if dt == torch.float64:
            dtype = torch.float64
    return dtype


def _check_pair(x: Tensor, centroids: Tensor) -> None:
    if x.dim() != 2 or centroids.dim() != 2:
        raise ValueError('x and centroids must be 2-D, (N, d) and (K, d); '
                         f'got shapes {tuple(x.shape)} and '
                         f'{tuple(centroids.shape)}.')
    if x.shape[1] != centroids.shape[1]:
        raise ValueError(f'Feature dimensions differ: x is {tuple(x.shape)}'
                         f', centroids are {tuple(centroids.shape)}.')


def squared_distances(x: Tensor, centroids: Tensor) -> Tensor:
    """Squared Euclidean distances between rows of ``x`` and centroids.

    Computed as ``||x||^2 - 2 x.c + ||c||^2`` (one matrix product) and
    clamped at 0, which rounding can cross. fp16/bf16 inputs are computed
    in float32 (float64 stays float64). Differentiable, with no chunking:
    the full ``(N, K)`` block is allocated (use :func:`assign` for big N).

    Args:
        x (Tensor): ``(N, d)`` points.
        centroids (Tensor): ``(K, d)`` centroids, on the device of ``x``.

    Returns:
        Tensor: ``(N, K)`` squared distances.
    """
    _check_pair(x, centroids)
    dtype = _compute_dtype(x.dtype, centroids.dtype)
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
def _assign_with_distances(
        x: Tensor,
        centroids: Tensor,
        chunk_size: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Nearest centroid and its squared distance, chunk by chunk."""
    _check_pair(x, centroids)
    n = x.shape[0]
    if chunk_size is None:
        chunk_size = _default_chunk_size(*centroids.shape)
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}.')
    dtype = _compute_dtype(x.dtype, centroids.dtype)
    centroids = centroids.to(device=x.device, dtype=dtype)
    c_sq = centroids.pow(2).sum(dim=1).unsqueeze(0)
    labels = torch.empty(n, dtype=torch.long, device=x.device)
    min_dist = torch.empty(n, dtype=dtype, device=x.device)
    for start in range(0, n, chunk_size):
        chunk = x[start:start + chunk_size].to(dtype)
        # ||x||^2 is constant per row: add it after the arg-min.
        dist = torch.addmm(c_sq, chunk, centroids.t(), beta=1, alpha=-2)
        best, idx = dist.min(dim=1)
        best = best.add_(chunk.pow(2).sum(dim=1)).clamp_min_(0)
        labels[start:start + chunk_size] = idx
        min_dist[start:start + chunk_size] = best
    return labels, min_dist


def assign(x: Tensor,
           centroids: Tensor,
           chunk_size: Optional[int] = None) -> Tensor:
    """Index of the nearest centroid (squared L2) of every row of ``x``.

    Args:
        x (Tensor): ``(N, d)`` points.
        centroids (Tensor): ``(K, d)`` centroids; moved to ``x``'s device.
        chunk_size (int, optional): rows per distance block. Defaults to
            as many as keep a ``(rows, K)`` fp32 block (plus the rows)
            below 256 MB.

    Returns:
        Tensor: ``(N,)`` int64 indices, on the device of ``x``. Ties go to
        the lowest index.
    """
    return _assign_with_distances(x, centroids, chunk_size)[0]


# --------------------------------------------------------------------------
# Input checks and sampling
# --------------------------------------------------------------------------


def _as_tensor(x: ArrayLike) -> Tensor:
    if isinstance(x, np.ndarray):
        if not (np.issubdtype(x.dtype, np.floating)
                or np.issubdtype(x.dtype, np.integer)):
            raise TypeError(f'x must hold real numbers, got {x.dtype}.')
        return torch.from_numpy(np.ascontiguousarray(x))
    if isinstance(x, Tensor):
        if x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f'x must hold real numbers, got {x.dtype}.')
        return x.detach()
    raise TypeError('x must be a torch.Tensor or a numpy.ndarray, got '
                    f'{type(x).__name__}.')


def _check_inputs(x: Tensor, k: int, niter: int) -> None:
    if x.dim() != 2:
        raise ValueError('x must be a 2-D (N, d) array of N feature vectors; '
                         f'got shape {tuple(x.shape)}. Flatten feature maps '
                         'first, e.g. (B, C, H, W) -> (B*H*W, C).')
    n, d = x.shape
    if d < 1:
        raise ValueError(
            f'x has no feature dimension: shape {tuple(x.shape)}.')
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f'k must be a positive integer, got {k!r}.')
    if k > n:
        raise ValueError(f'Cannot make k={k} clusters from only {n} points: '
                         'k must not exceed the number of points. Lower K or '
                         'add data (more images or spatial positions).')
    if not isinstance(niter, (int, np.integer)) or niter < 1:
        raise ValueError(f'niter must be a positive integer, got {niter!r}.')
    if x.is_floating_point():
        step = _default_chunk_size(1, d)  # bounds the bool temporary
        for start in range(0, n, step):
            block = x[start:start + step]
            if not bool(torch.isfinite(block).all()):
                bad = (~torch.isfinite(block)).any(dim=1).nonzero()
                row = start + int(bad[0, 0])
                raise ValueError('x holds non-finite values (NaN or inf), '
                                 f'first in row {row}; k-means needs finite '
                                 'features.')


def _check_seed(seed: int) -> None:
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**31:
        raise ValueError(f'seed must be an integer in [0, 2**31), got '
                         f'{seed!r}.')


def _sample_indices(n: int, max_points: int, seed: int) -> Tensor:
    """At most ``max_points`` distinct rows of ``n``, sorted, seeded."""
    if n <= max_points:
        return torch.arange(n)
    generator = torch.Generator().manual_seed(seed)
    idx = torch.randperm(n, generator=generator)[:max_points]
    return idx.sort().values


def _check_init(init: str) -> None:
    if init not in _INITS:
        raise ValueError(f'init must be one of {_INITS}, got {init!r}.')


# --------------------------------------------------------------------------
# Pure-torch backend
# --------------------------------------------------------------------------


@torch.no_grad()
def _init_centroids(x: Tensor, k: int, init: str, generator: torch.Generator,
                    chunk_size: int) -> Tensor:
    """Random distinct rows, or k-means++ (D^2 sampling), seeded."""
    n = x.shape[0]
    if init == 'random':
        idx = torch.randperm(n, generator=generator)[:k]
        return x[idx.to(x.device)].float()
    # k-means++: first centre uniform, then each next centre drawn with
    # probability proportional to the squared distance to the closest
    # centre chosen so far. k sequential passes over x: use on small data.
    first = int(torch.randint(n, (1, ), generator=generator))
    centroids = torch.empty(
        k, x.shape[1], dtype=torch.float32, device=x.device)
    centroids[0] = x[first].float()
    closest = _assign_with_distances(x, centroids[:1], chunk_size)[1]
    closest = closest.double()
    for j in range(1, k):
        cumulative = closest.cpu().cumsum(0)
        total = float(cumulative[-1])
        if total > 0:
            # Inverse-CDF draw (torch.multinomial caps N at 2**24).
            u = torch.rand(1, generator=generator, dtype=torch.float64)
            nxt = int(torch.searchsorted(cumulative, u * total, right=True))
            nxt = min(nxt, n - 1)
        else:  # fewer distinct points than centres so far: any point
            nxt = int(torch.randint(n, (1, ), generator=generator))
        centroids[j] = x[nxt].float()
        dist = _assign_with_distances(x, centroids[j:j + 1], chunk_size)[1]
        closest = torch.minimum(closest, dist.double())
    return centroids


@torch.no_grad()
def kmeans_torch(x: ArrayLike,
                 k: int,
                 niter: int = 20,
                 seed: int = 0,
                 init: str = 'random',
                 chunk_size: Optional[int] = None,
                 verbose: bool = False) -> KMeansResult:
    """Lloyd k-means (squared L2) in pure PyTorch, on every row of ``x``.

    The fallback of :func:`kmeans` (which samples the rows first; this
    function clusters all the rows it is given). It runs on the device of
    ``x`` (so on the GPU for a CUDA tensor) and computes in float32.

    * Initialisation: ``'random'`` (default, as FAISS and QuEST) picks
      ``k`` distinct rows uniformly; ``'k-means++'`` draws them by D^2
      sampling (better on few, well-separated clusters, but ``k`` passes
      over the data). Both draw from a ``torch.Generator`` seeded with
      ``seed``, on the CPU, so the result does not depend on the device.
    * Each iteration assigns every point to its nearest centroid, ``rows``
      at a time with a ``(rows, k)`` distance block below 256 MB, then
      moves each centroid to the mean of its points (sums in float64).
      On the CPU the result is bit-for-bit reproducible; on CUDA the sums
      use atomic adds, so only up to float64 rounding.
    * Empty clusters are re-seeded deterministically with the points
      farthest from their current centroid (one distinct point per empty
      cluster, largest distance first), as scikit-learn does.
    * Stops early only at a fixed point (assignments unchanged and no
      empty cluster), where further iterations would change nothing.

    Args:
        x (Tensor | np.ndarray): ``(N, d)`` features, any real dtype.
        k (int): number of centroids, ``1 <= k <= N``.
        niter (int): Lloyd iterations. Defaults to 20.
        seed (int): seed of the initialisation, in ``[0, 2**31)``.
            Defaults to 0.
        init (str): ``'random'`` or ``'k-means++'``. Defaults to
            ``'random'``.
        chunk_size (int, optional): rows per distance block; defaults to
            the 256 MB bound.
        verbose (bool): log the objective of every iteration.

    Returns:
        KMeansResult: float32 centroids and the assignments of all rows
        (both on the CPU), with ``backend='torch'``.
    """
    x = _as_tensor(x)
    _check_inputs(x, k, niter)
    _check_seed(seed)
    _check_init(init)
    return _lloyd_torch(x, int(k), int(niter), int(seed), init, chunk_size,
                        verbose)


@torch.no_grad()
def _lloyd_torch(x: Tensor, k: int, niter: int, seed: int, init: str,
                 chunk_size: Optional[int], verbose: bool) -> KMeansResult:
    """The body of :func:`kmeans_torch`, on checked inputs."""
    if chunk_size is None:
        chunk_size = _default_chunk_size(k, x.shape[1])
    n, d = x.shape
    if x.dtype != torch.float32:
        x = x.float()
    generator = torch.Generator().manual_seed(int(seed))
    centroids = _init_centroids(x, k, init, generator, chunk_size)

    labels = min_dist = None
    converged = False
    for it in range(niter):
        new_labels, new_dist = _assign_with_distances(x, centroids, chunk_size)
        if verbose:
            print_log(
                f'k-means (torch) iteration {it + 1}/{niter}: mean squared '
                f'distance {float(new_dist.double().mean()):.6g}',
                logger='current')
        counts = torch.bincount(new_labels, minlength=k)
        if labels is not None and bool(counts.all()) and torch.equal(
                labels, new_labels):
            converged = True
            labels, min_dist = new_labels, new_dist
            break
        labels, min_dist = new_labels, new_dist
        sums = torch.zeros(k, d, dtype=torch.float64, device=x.device)
        for start in range(0, n, chunk_size):
            sums.index_add_(0, labels[start:start + chunk_size],
                            x[start:start + chunk_size].double())
        nonempty = counts > 0
        centroids = centroids.clone()
        centroids[nonempty] = (sums[nonempty] /
                               counts[nonempty].unsqueeze(1)).float()
        n_empty = int((~nonempty).sum())
        if n_empty:
            # The points worst served by the current centroids.
            far = torch.topk(min_dist, n_empty, sorted=True).indices
            centroids[~nonempty] = x[far].float()
            if verbose:
                print_log(
                    f'k-means (torch) iteration {it + 1}: re-seeded '
                    f'{n_empty} empty cluster(s) with the farthest points',
                    logger='current',
                    level=logging.WARNING)
    if not converged:
        labels, min_dist = _assign_with_distances(x, centroids, chunk_size)
    inertia = float(min_dist.double().mean())
    return KMeansResult(
        centroids=centroids.float().cpu(),
        assignments=labels.cpu(),
        inertia=inertia,
        backend='torch',
        num_points=n,
        indices=torch.arange(n))


# --------------------------------------------------------------------------
# FAISS backend
# --------------------------------------------------------------------------


def _import_faiss():
    """The ``faiss`` module, or None when it cannot be imported."""
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _faiss_gpu_available(faiss) -> bool:
    if not torch.cuda.is_available():
        return False
    if not hasattr(faiss, 'StandardGpuResources'):  # CPU-only build
        return False
    try:
        return faiss.get_num_gpus() > 0
    except Exception:  # noqa: BLE001 (any failure means no GPU)
        return False


def _kmeans_faiss(x: Tensor, k: int, niter: int, seed: int, init: str,
                  verbose: bool, faiss) -> Tuple[Tensor, Tensor, Tensor, str]:
    """Cluster all rows of ``x`` with ``faiss.Clustering``."""
    n, d = x.shape
    data = np.ascontiguousarray(x.detach().float().cpu().numpy())
    params = faiss.ClusteringParameters()
    params.niter = int(niter)
    params.seed = int(seed)
    params.verbose = bool(verbose)
    params.spherical = False
    # The rows were sampled already: keep FAISS from sampling again, and
    # from printing its few-points warning (logged by kmeans instead).
    params.max_points_per_centroid = max(1, math.ceil(n / k))
    params.min_points_per_centroid = 1
    if init == 'k-means++':
        if not hasattr(params, 'init_method'):
            raise ValueError(
                "init='k-means++' needs a FAISS release whose "
                'ClusteringParameters has init_method (1.15.1 has); upgrade '
                "faiss or use init='random' or backend='torch'.")
        params.init_method = faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS
    clustering = faiss.Clustering(d, k, params)

    res = None
    if _faiss_gpu_available(faiss):
        # One GPU, the current CUDA device (faiss.Kmeans(gpu=1) would use
        # them all, https://github.com/facebookresearch/faiss/issues/3626).
        res = faiss.StandardGpuResources()
        config = faiss.GpuIndexFlatConfig()
        config.device = torch.cuda.current_device()
        index = faiss.GpuIndexFlatL2(res, d, config)
        backend = 'faiss-gpu'
    else:
        index = faiss.IndexFlatL2(d)
        backend = 'faiss'
    clustering.train(data, index)
    centroids = faiss.vector_to_array(clustering.centroids).reshape(k, d)
    if verbose:
        try:  # iteration_stats replaced Clustering.obj after 1.6.1
            stats = clustering.iteration_stats
            objs = [stats.at(i).obj for i in range(stats.size())]
            print_log(
                f'k-means ({backend}) sum of squared distances per '
                f'iteration: {objs}',
                logger='current')
        except AttributeError:
            pass
    # After training the index holds exactly the final centroids.
    dist, labels = index.search(data, 1)
    del res
    return (torch.from_numpy(centroids.astype(np.float32)),
            torch.from_numpy(labels[:, 0].astype(np.int64)),
            torch.from_numpy(np.maximum(dist[:, 0], 0)), backend)


# --------------------------------------------------------------------------
# Front end
# --------------------------------------------------------------------------


def kmeans(x: ArrayLike,
           k: int,
           niter: int = 20,
           seed: int = 0,
           max_points_per_centroid: int = 256,
           backend: str = 'auto',
           verbose: bool = False,
           *,
           init: str = 'random',
           chunk_size: Optional[int] = None) -> KMeansResult:
    """K-means (squared L2, Lloyd) of the rows of ``x``, FAISS or torch.

    QuEST's settings are the defaults: raw features (no PCA, no
    normalisation: do them beforehand if wanted), 20 iterations, random
    initialisation.

    Sampling: when ``N > max_points_per_centroid * k``, that many distinct
    rows are drawn first with a ``torch.Generator`` seeded with ``seed``
    (FAISS is then kept from sub-sampling again), and only they are
    clustered: ``result.indices`` says which. The default 256 is FAISS's
    own default and bounds time and memory; QuEST's code passes
    ``max_points_per_centroid=1e7``, i.e. no sampling, which a large value
    (e.g. ``10**7``) reproduces.

    Backends: ``'auto'`` uses FAISS if ``import faiss`` works, else
    :func:`kmeans_torch`. FAISS runs on the current CUDA device (only that
    one) when torch sees a GPU and the FAISS build has GPU support
    (``faiss-gpu``), and on the CPU otherwise. ``'faiss'`` requires FAISS;
    ``'torch'`` forces the pure-torch Lloyd on the device of ``x``.
    The two backends use different random streams, so for one seed they
    converge to close but not bit-identical centroids.

    Args:
        x (Tensor | np.ndarray): ``(N, d)`` features (any real dtype;
            computed in float32).
        k (int): number of centroids (visual words), ``1 <= k <= N``.
        niter (int): Lloyd iterations. Defaults to 20.
        seed (int): seed of the sampling and of the initialisation, in
            ``[0, 2**31)``. Defaults to 0.
        max_points_per_centroid (int | float): at most this many points
            per centroid are clustered. Defaults to 256.
        backend (str): ``'auto'``, ``'faiss'`` or ``'torch'``.
            Defaults to ``'auto'``.
        verbose (bool): log progress (FAISS prints its own lines).
        init (str): ``'random'`` (default) or ``'k-means++'`` (the
            torch backend, or a FAISS with ``init_method``, e.g. 1.15).
        chunk_size (int, optional): rows per distance block of the torch
            backend; defaults to keeping each block below 256 MB.

    Returns:
        KMeansResult: centroids ``(k, d)`` float32 on the CPU, assignments
        and inertia of the points used, the backend that ran, the number
        of points used and their row indices.

    Raises:
        ValueError: ``x`` is not 2-D, holds NaN/inf, or has fewer than
            ``k`` rows; or an argument is out of range.
        ImportError: ``backend='faiss'`` and FAISS is not installed.
    """
    if backend not in _BACKENDS:
        raise ValueError(f'backend must be one of {_BACKENDS}, got '
                         f'{backend!r}.')
    _check_init(init)
    _check_seed(seed)
    x = _as_tensor(x)
    _check_inputs(x, k, niter)
    if max_points_per_centroid < 1:
        raise ValueError('max_points_per_centroid must be >= 1, got '
                         f'{max_points_per_centroid!r}.')
    k = int(k)
    n, d = x.shape

    faiss = None
    if backend in ('auto', 'faiss'):
        faiss = _import_faiss()
        if faiss is None and backend == 'faiss':
            raise ImportError(_FAISS_MISSING)

    max_points = int(min(n, max_points_per_centroid * k))
    indices = _sample_indices(n, max_points, int(seed))
    sample = x if max_points == n else x[indices.to(x.device)]
    num_points = sample.shape[0]
    if verbose:
        print_log(
            f'k-means: {num_points} of {n} points, d={d}, k={k}, '
            f"niter={niter}, backend={'faiss' if faiss else 'torch'}",
            logger='current')
    if num_points < _MIN_POINTS_PER_CENTROID * k:
        print_log(
            f'k-means: clustering {num_points} points into {k} centroids; '
            f'at least {_MIN_POINTS_PER_CENTROID * k} points '
            f'({_MIN_POINTS_PER_CENTROID} per centroid) are advised.',
            logger='current',
            level=logging.WARNING)

    if faiss is None:
        result = _lloyd_torch(sample, k, int(niter), int(seed), init,
                              chunk_size, verbose)
        return result._replace(indices=indices)

    centroids, labels, dist, used = _kmeans_faiss(sample, k, niter, seed, init,
                                                  verbose, faiss)
    return KMeansResult(
        centroids=centroids,
        assignments=labels,
        inertia=float(dist.double().mean()),
        backend=used,
        num_points=num_points,
        indices=indices)
