# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""What storing only the top-k logits of a teacher cache would lose.

    python tools/analysis/teacher_cache_topk.py CACHE_DIR [--recorder fc]
        [--ks 1 2 5 10] [--tau 4] [--epochs N] [--out results.json]

Reads the full (float16) logits of a teacher cache built by
``tools/cache_teacher.py`` and reports, for each k, over every cached view:
the KL divergence KL(p || p_k) between the teacher's softened distribution
p = softmax(z / tau) and the one a top-k cache gives (the k largest logits
kept, the rest of the mass spread uniformly over the other classes, as
``train_dataloader.dataset.topk`` stores them), its mean, median, 99th
percentile and maximum in nats, and the probability mass the top k hold;
for scale, the mean entropy of p. Bytes per view: float16 values, int16
indices and one float16 for the rest (4 k + 2), against 2 C in full.
"""
import argparse
import json

import mmkd_plus  # noqa: F401  (torch-2 fixes before OpenMMLab)
import numpy as np
import torch

from mmkd_plus.datasets.teacher_cache import (TeacherCache,
                                              topk_kl)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='KL divergence between full and top-k cached logits.')
    parser.add_argument('cache_dir', help='a teacher cache (full logits)')
    parser.add_argument(
        '--recorder', default='fc', help='the teacher recorder of logits')
    parser.add_argument(
        '--ks', type=int, nargs='+', default=[1, 2, 5, 10], help='the ks')
    parser.add_argument(
        '--tau', type=float, default=4.0, help='the KD temperature')
    parser.add_argument(
        '--epochs', type=int, help='cache epochs to read (default: all)')
    parser.add_argument('--out', help='also write the results as JSON')
    return parser.parse_args(argv)


def read_logits(cache: TeacherCache, recorder: str,
                epochs: int) -> torch.Tensor:
    """Every cached view's full logits of ``recorder``, (N, C) float32."""
    output = cache.manifest['outputs'].get(recorder)
    if output is None or output['structure'] != 'tensor' or \
            output['parts'][0]['storage'] != 'float16':
        raise ValueError(
            f'{cache.root}: no full float16 logits under {recorder!r} '
            f'(outputs: {sorted(cache.manifest["outputs"])}); build a cache '
            'without train_dataloader.dataset.topk to measure.')
    rows = [
        np.asarray(cache.open_shard(epoch, shard)[recorder], np.float32)
        for epoch in range(epochs) for shard in range(cache.shards)
    ]
    return torch.from_numpy(np.concatenate(rows))


def measure(logits: torch.Tensor, ks, tau: float) -> dict:
    """The figures of the module docstring, per k."""
    num_classes = logits.shape[1]
    p = torch.softmax(logits / tau, dim=1)
    entropy = -(p * p.clamp_min(1e-30).log()).sum(dim=1)
    rows = []
    for k in ks:
        if not 1 <= k < num_classes:
            raise ValueError(f'--ks: k={k} must be in [1, {num_classes}).')
        kl = topk_kl(logits, k, tau).numpy()
        mass = p.topk(k, dim=1).values.sum(dim=1).numpy()
        rows.append(
            dict(
                k=k,
                kl_mean=float(kl.mean()),
                kl_median=float(np.median(kl)),
                kl_p99=float(np.percentile(kl, 99)),
                kl_max=float(kl.max()),
                top_mass_mean=float(mass.mean()),
                bytes_per_view=4 * k + 2))
    return dict(
        views=int(len(logits)),
        classes=int(num_classes),
        tau=tau,
        entropy_mean=float(entropy.mean()),
        full_bytes_per_view=2 * int(num_classes),
        topk=rows)


def format_table(result: dict) -> str:
    lines = [
        f'{result["views"]} views, {result["classes"]} classes, tau '
        f'{result["tau"]:g}; mean entropy of p: '
        f'{result["entropy_mean"]:.4f} nats; full: '
        f'{result["full_bytes_per_view"]} bytes a view.', '',
        '| k | KL mean (nats) | median | 99th pct | max | top-k mass | '
        'bytes a view |', '|---:|---:|---:|---:|---:|---:|---:|'
    ]
    for r in result['topk']:
        lines.append(f'| {r["k"]} | {r["kl_mean"]:.2e} | '
                     f'{r["kl_median"]:.2e} | {r["kl_p99"]:.2e} | '
                     f'{r["kl_max"]:.2e} | {r["top_mass_mean"]:.3f} | '
                     f'{r["bytes_per_view"]} |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    cache = TeacherCache(args.cache_dir)
    epochs = cache.epochs if args.epochs is None else args.epochs
    cache.check(epochs)
    result = measure(read_logits(cache, args.recorder, epochs), args.ks,
                     args.tau)
    print(format_table(result))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
