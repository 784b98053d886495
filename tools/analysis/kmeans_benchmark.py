# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Time k-means backends (FAISS, pure torch, scikit-learn) on one data set.

All backends cluster the same seeded random features (standard normal, or
Gaussian blobs with ``--data blobs``) with random initialisation, one run
(``n_init=1``) and the same number of Lloyd iterations, on every point (no
sub-sampling). The inertia column is computed the same way for all of them:
the mean squared L2 distance of the points to their nearest final centroid.
Prints a markdown table. Example (QuEST-sized vocabulary on 2 CPU cores)::

    python tools/analysis/kmeans_benchmark.py -n 50000 -d 512 -k 1024
"""
import argparse
import os
import platform
import time

import numpy as np
import torch

import mmkd_plus  # noqa: F401  (before any OpenMMLab import: torch-2 fixes)
from mmkd_plus.ops import kmeans, squared_distances

BACKENDS = ('faiss', 'torch', 'sklearn')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('-n', '--num-points', type=int, default=50000)
    parser.add_argument('-d', '--dim', type=int, default=512)
    parser.add_argument('-k', '--num-clusters', type=int, default=1024)
    parser.add_argument('--niter', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--data',
        choices=('normal', 'blobs'),
        default='normal',
        help='standard normal features, or Gaussian blobs around '
        'num_clusters random centres (std 1, centres scaled by 3)')
    parser.add_argument(
        '--backends',
        nargs='+',
        choices=BACKENDS,
        default=list(BACKENDS),
        help='backends to time, in this order')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch threads (default: torch default; FAISS and '
        'scikit-learn follow OMP_NUM_THREADS)')
    return parser.parse_args()


def make_features(args) -> np.ndarray:
    generator = torch.Generator().manual_seed(args.seed)
    x = torch.randn(args.num_points, args.dim, generator=generator)
    if args.data == 'blobs':
        centres = 3 * torch.randn(
            args.num_clusters, args.dim, generator=generator)
        owner = torch.randint(
            args.num_clusters, (args.num_points, ), generator=generator)
        x += centres[owner]
    return x.numpy()


def mean_inertia(x: np.ndarray, centroids: np.ndarray) -> float:
    xt = torch.from_numpy(x)
    ct = torch.from_numpy(np.ascontiguousarray(centroids, dtype=np.float32))
    total = 0.0
    for start in range(0, len(xt), 8192):
        dist = squared_distances(xt[start:start + 8192], ct)
        total += float(dist.min(dim=1).values.double().sum())
    return total / len(xt)


def run_ours(x, args, backend):
    result = kmeans(
        torch.from_numpy(x),
        args.num_clusters,
        niter=args.niter,
        seed=args.seed,
        max_points_per_centroid=1e7,  # every point, as QuEST
        backend=backend)
    assert result.num_points == len(x)
    return result.centroids.numpy(), result.backend


def run_sklearn(x, args):
    from sklearn.cluster import KMeans
    model = KMeans(
        n_clusters=args.num_clusters,
        init='random',
        n_init=1,
        max_iter=args.niter,
        tol=0.0,  # run all iterations (it still stops at a fixed point)
        algorithm='lloyd',
        random_state=args.seed)
    model.fit(x)
    return model.cluster_centers_, f'sklearn (n_iter={model.n_iter_})'


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    x = make_features(args)
    print(f'N={args.num_points}, d={args.dim}, K={args.num_clusters}, '
          f'niter={args.niter}, data={args.data}, seed={args.seed}; '
          f'torch {torch.__version__}, {torch.get_num_threads()} torch '
          f'threads, OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS")}, '
          f'{os.cpu_count()} CPUs, {platform.processor() or "cpu"}')
    rows = []
    for name in args.backends:
        start = time.perf_counter()
        if name == 'sklearn':
            centroids, label = run_sklearn(x, args)
        else:
            centroids, label = run_ours(x, args, name)
        seconds = time.perf_counter() - start
        rows.append((label, seconds, mean_inertia(x, centroids)))
    print()
    print('| backend | seconds | inertia (mean squared distance) |')
    print('|---|---:|---:|')
    for label, seconds, inertia in rows:
        print(f'| {label} | {seconds:.1f} | {inertia:.4f} |')


if __name__ == '__main__':
    main()
