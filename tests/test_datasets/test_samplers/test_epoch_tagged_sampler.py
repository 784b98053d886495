# Copyright (c) OpenMMLab. All rights reserved.
"""EpochTaggedSampler: DefaultSampler's indices, each with its epoch."""
from mmengine.dataset import DefaultSampler

from mmkd_plus.datasets import EpochTaggedSampler


def test_sampler_tags_defaultsamplers_indices_with_the_epoch():
    data = list(range(11))
    for rank, world in ((0, 1), (1, 2)):
        tagged = EpochTaggedSampler(data, shuffle=True, seed=3)
        plain = DefaultSampler(data, shuffle=True, seed=3)
        for sampler in (tagged, plain):  # rank `rank` of `world`
            sampler.rank, sampler.world_size = rank, world
            sampler.num_samples = -(-len(data) // world)
            sampler.total_size = sampler.num_samples * world
        for epoch in (0, 4):
            tagged.set_epoch(epoch)
            plain.set_epoch(epoch)
            pairs = list(tagged)
            assert pairs == [(epoch, i) for i in plain]
        assert len(tagged) == len(plain) == len(pairs)
