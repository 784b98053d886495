# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/teacher_cache_topk.py measures what top-k storage loses
on a cache of full logits."""
import numpy as np
import pytest
import torch
from kd_test_utils import load_tool

from mmkd_plus.datasets.teacher_cache import FORMAT, TeacherCache

topk_tool = load_tool('analysis/teacher_cache_topk.py')


def _cache(root, logits, storage='float16'):
    """A one-epoch, two-shard cache holding ``logits`` (N, C)."""
    n, c = logits.shape
    part = dict(storage=storage, width=c)
    if storage == 'topk':
        part.update(k=2, tau=4.0)
    cache = TeacherCache(root)
    cache.write_manifest(
        dict(
            format=FORMAT,
            epochs=1,
            shards=2,
            config=dict(dataset_length=n),
            views=[],
            outputs=dict(fc=dict(structure='tensor', parts=[part]))))
    for shard in (0, 1):
        arrays = cache.open_shard(0, shard, 'w+')
        if storage == 'float16':
            arrays['fc'][:] = logits[shard::2]
        arrays['done'][:] = 1
        for array in arrays.values():
            array.flush()
    return cache


def test_kl_and_mass_of_each_k(tmp_path):
    logits = np.random.RandomState(0).randn(9, 6).astype(np.float16) * 3
    _cache(str(tmp_path / 'c'), logits)
    out = str(tmp_path / 'r.json')
    result = topk_tool.main(
        [str(tmp_path / 'c'), '--ks', '1', '3', '--tau', '2', '--out', out])
    assert result['views'] == 9 and result['classes'] == 6
    # the rows of both shards, each view once
    z = torch.from_numpy(
        np.concatenate([logits[0::2], logits[1::2]]).astype(np.float32))
    p = torch.softmax(z / 2, dim=1)
    for row, k in zip(result['topk'], (1, 3)):
        assert row['k'] == k and row['bytes_per_view'] == 4 * k + 2
        # KL(p || q) by hand: q keeps the top k of p, the rest uniform
        top = p.topk(k, dim=1)
        rest = (1 - top.values.sum(1, keepdim=True)) / (6 - k)
        q = rest.expand(-1, 6).scatter(1, top.indices, top.values)
        kl = (p * (p / q).log()).sum(1)
        assert row['kl_mean'] == pytest.approx(kl.mean().item(), rel=1e-4)
        assert row['kl_max'] == pytest.approx(kl.max().item(), rel=1e-4)
        assert row['top_mass_mean'] == pytest.approx(
            top.values.sum(1).mean().item(), rel=1e-5)
    assert result['topk'][0]['kl_mean'] > result['topk'][1]['kl_mean'] > 0


def test_a_topk_cache_cannot_be_measured(tmp_path):
    _cache(str(tmp_path / 'c'), np.zeros((4, 6), np.float16), 'topk')
    with pytest.raises(ValueError, match='no full float16 logits under '
                       "'fc'"):
        topk_tool.main([str(tmp_path / 'c')])
