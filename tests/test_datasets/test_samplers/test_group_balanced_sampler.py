# Copyright (c) OpenMMLab. All rights reserved.
"""The (group, label) balanced batch sampler, alone and under 2 ranks."""
from collections import Counter

import numpy as np
import pytest
from mmengine.dataset import DefaultSampler

import mmkd_plus  # noqa: F401
from mmkd_plus.datasets import GroupBalancedBatchSampler


class ToyFairDataset:
    """labels/groups only: cells (g, y) of sizes given by `sizes`."""

    def __init__(self, sizes):
        self.groups, self.labels = [], []
        for (g, y), n in sizes.items():
            self.groups += [g] * n
            self.labels += [y] * n

    def __len__(self):
        return len(self.labels)

    def get_groups(self):
        return np.array(self.groups)

    def get_gt_labels(self):
        return np.array(self.labels)


SIZES = {(0, 0): 12, (0, 1): 3, (1, 0): 2, (1, 1): 7}


def _cell(ds, i):
    return (ds.groups[i], ds.labels[i])


def test_every_batch_is_balanced_and_epoch_ends_with_largest_cell():
    ds = ToyFairDataset(SIZES)
    bs = GroupBalancedBatchSampler(DefaultSampler(ds, seed=0), batch_size=9,
                                   rank=0, world_size=1)
    assert bs.per_cell == 2
    batches = list(bs)
    # the largest cell (12) gives 12 // 2 = 6 batches of 4 x 2 = 8
    assert len(batches) == len(bs) == 6
    for batch in batches:
        assert len(batch) == 8
        assert Counter(_cell(ds, i) for i in batch) == {
            c: 2 for c in SIZES}
    flat = [i for b in batches for i in b]
    largest = [i for i in flat if _cell(ds, i) == (0, 0)]
    assert sorted(largest) == list(range(12))  # each once
    # a small cell is used in full before any sample repeats
    small = [i for i in flat if _cell(ds, i) == (1, 0)]  # size 2, 12 draws
    for k in range(0, 12, 2):
        assert sorted(small[k:k + 2]) == [12 + 3, 12 + 3 + 1]


def test_epochs_differ_and_repeat_with_the_seed():
    ds = ToyFairDataset(SIZES)
    sampler = DefaultSampler(ds, seed=3)
    bs = GroupBalancedBatchSampler(sampler, batch_size=8, rank=0,
                                   world_size=1)
    first = list(bs)
    assert list(bs) == first
    sampler.set_epoch(1)  # as DistSamplerSeedHook does
    assert bs.epoch == 1 and list(bs) != first
    again = GroupBalancedBatchSampler(DefaultSampler(ds, seed=3), 8, 0, 1)
    assert list(again) == first


def test_two_ranks_get_disjoint_balanced_shares():
    ds = ToyFairDataset(SIZES)
    ranks = [
        GroupBalancedBatchSampler(DefaultSampler(ds, seed=0), batch_size=4,
                                  rank=r, world_size=2) for r in (0, 1)
    ]
    assert len(ranks[0]) == len(ranks[1]) == 12 // (2 * 1)
    seen = []
    for r, bs in enumerate(ranks):
        for batch in bs:
            assert Counter(_cell(ds, i) for i in batch) == {
                c: 1 for c in SIZES}
        seen.append([i for b in bs for i in b])
    # the largest cell is split between the ranks without overlap
    big = [set(i for i in s if _cell(ds, i) == (0, 0)) for s in seen]
    assert big[0].isdisjoint(big[1]) and big[0] | big[1] == set(range(12))


def test_batch_smaller_than_cells_names_the_key():
    ds = ToyFairDataset(SIZES)
    with pytest.raises(ValueError, match='train_dataloader.batch_size=3 is '
                       'smaller than the 4'):
        GroupBalancedBatchSampler(DefaultSampler(ds, seed=0), 3, 0, 1)


def test_built_by_mmengine_runner_with_a_real_dataset(digits_root):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loader = Runner.build_dataloader(
            dict(
                batch_size=64,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=True),
                batch_sampler=dict(type='GroupBalancedBatchSampler'),
                dataset=dict(
                    type='DigitsS',
                    data_root=digits_root,
                    split='train',
                    pipeline=[dict(type='PackInputs',
                                   algorithm_keys=('group', ))])),
            seed=0)
    batch = next(iter(loader))
    cells = Counter((s.group, int(s.gt_label)) for s in batch['data_samples'])
    assert len(cells) == 20 and set(cells.values()) == {3}


def test_cifar10s_epoch_is_666_batches_of_120():
    """CIFAR-10S's cells (skew 0.8: per class 4,000 / 1,000 of 5,000, from
    the dataset's own assignment): 128 // 20 = 6 per cell, 120-sample
    batches, and the epoch ends when a 4,000-sample cell is used up:
    4,000 // 6 = 666 batches."""
    from mmkd_plus.datasets.cifar10s import skewed_gray_mask
    labels = np.repeat(np.arange(10), 5000)
    np.random.RandomState(1).shuffle(labels)
    gray = skewed_gray_mask(labels, 0.8, seed=0, gray_classes=range(5))
    groups = np.where(gray, 0, 1)  # group 0 grey, 1 colour
    sizes = Counter(zip(groups.tolist(), labels.tolist()))
    assert sorted(set(sizes.values())) == [1000, 4000]
    ds = ToyFairDataset(sizes)
    bs = GroupBalancedBatchSampler(DefaultSampler(ds, seed=0),
                                   batch_size=128, rank=0, world_size=1)
    assert bs.per_cell == 6 and len(bs) == 666
    batches = list(bs)
    assert len(batches) == 666
    assert all(len(b) == 120 for b in batches)
    assert Counter(_cell(ds, i) for i in batches[-1]) == {
        c: 6 for c in sizes}
    # a 4,000-sample cell: 666 x 6 = 3,996 distinct samples, none repeated
    flat = [i for b in batches for i in b]
    largest = [i for i in flat if _cell(ds, i) == (0, 0)]
    assert len(largest) == len(set(largest)) == 3996
