# Copyright (c) OpenMMLab. All rights reserved.
"""ReservoirSampler: the seeded uniform sample of a stream, in bounded
memory."""
import pytest
import torch
from scipy.stats import chisquare

from mmkd_plus.ops import ReservoirSampler

STREAM = torch.arange(20000, dtype=torch.float32).reshape(-1, 1)


def _sample(capacity, seed, batch=37, stream=STREAM, **kwargs):
    sampler = ReservoirSampler(capacity, seed, **kwargs)
    for chunk in stream.split(batch):
        sampler.add(chunk)
    assert sampler.seen == stream.shape[0]
    return sampler, sampler.sample()


def _smallest_keys(capacity, seed, n=20000):
    """The reference: the rows of the `capacity` smallest keys of the
    seeded key stream, in increasing key order (ties: stream order)."""
    keys = torch.rand(n, generator=torch.Generator().manual_seed(seed))
    return torch.sort(keys, stable=True).indices[:capacity]


@pytest.mark.parametrize('capacity', [1, 100, 2999, 19999])
def test_sample_is_the_smallest_keys_however_the_stream_is_cut(capacity):
    expected = _smallest_keys(capacity, seed=3)
    for batch in (1, 37, 4096) if capacity < 3000 else (37, 4096):
        _, kept = _sample(capacity, seed=3, batch=batch)
        assert kept.shape == (capacity, 1)
        assert torch.equal(kept.flatten().long(), expected)
    # the buffer size changes how often it compacts, not the sample
    _, kept = _sample(capacity, seed=3, slack=2.0)
    assert torch.equal(kept.flatten().long(), expected)


def test_same_seed_same_sample_other_seed_other_sample():
    _, a = _sample(500, seed=0)
    _, b = _sample(500, seed=0)
    _, c = _sample(500, seed=1)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert len(set(a.flatten().tolist())) == 500  # distinct stream rows


def test_capacity_and_memory_are_bounded():
    sampler, kept = _sample(1000, seed=0, batch=4096)
    assert kept.shape == (1000, 1)
    # one buffer of capacity * 1.25 rows, allocated once
    assert sampler._rows.shape == (1250, 1)
    # a short stream comes back whole, in stream order
    _, everything = _sample(5000, seed=0, stream=STREAM[:3000])
    assert torch.equal(everything, STREAM[:3000])


def test_every_part_of_the_stream_is_represented():
    """Uniform over the stream: the kept rows fall evenly into 20 equal
    parts of it (first, middle and last batches alike)."""
    _, kept = _sample(4000, seed=11, batch=512)
    part = (kept.flatten().long() // 1000).tolist()  # 20 parts of 1000
    counts = torch.bincount(torch.tensor(part), minlength=20)
    assert counts.sum() == 4000
    assert int(counts.min()) > 0
    # 200 expected per part; a biased sampler (e.g. keeping the first or
    # the last rows) gives p ~ 0
    assert chisquare(counts.numpy()).pvalue > 0.01
    assert 150 < int(counts.min()) and int(counts.max()) < 250


def test_rows_keep_their_vectors_and_bad_input_fails():
    stream = torch.randn(300, 5)
    sampler = ReservoirSampler(50, seed=2)
    for chunk in stream.split(64):
        sampler.add(chunk)
    expected = _smallest_keys(50, seed=2, n=300)
    torch.testing.assert_close(sampler.sample(), stream[expected])
    with pytest.raises(ValueError, match='width 4 after rows of width 5'):
        sampler.add(torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r'\(n, C\)'):
        sampler.add(torch.zeros(3))
    with pytest.raises(ValueError, match='capacity must be positive'):
        ReservoirSampler(0, seed=0)
    assert ReservoirSampler(3, seed=0).sample() is None


def test_huge_capacity_allocates_only_what_the_stream_brings():
    """QuEST's CIFAR configs ask for max_points_per_centroid=1e7 words of
    4096: the buffer grows with the stream instead of preallocating."""
    sampler = ReservoirSampler(capacity=int(1e7) * 4096, seed=0)
    torch.manual_seed(0)
    stream = torch.rand(5000, 64)
    for batch in stream.split(700):
        sampler.add(batch)
    assert sampler._rows.shape[0] < 20000
    torch.testing.assert_close(sampler.sample(), stream)
