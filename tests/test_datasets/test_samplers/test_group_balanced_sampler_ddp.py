# Copyright (c) OpenMMLab. All rights reserved.
"""GroupBalancedBatchSampler under real DDP: two gloo processes.

Each process initialises torch.distributed through ``mmengine.dist``
and builds the train dataloader as a config does
(``Runner.build_dataloader`` with ``batch_sampler=dict(type=
'GroupBalancedBatchSampler')``), so the sampler takes its rank, world size
and seed from the process group, not from arguments. Each rank writes the
dataset index and (group, label) of every sample of every batch of two
epochs, the second one set by MMEngine's ``DistSamplerSeedHook``; the test
then checks those batches against each other and against the sampler
built by hand in this process.
"""
import json
import os.path as osp
import textwrap
from collections import Counter

import numpy as np
import pytest
from kd_test_utils import run_script
from mmengine.dataset import DefaultSampler
from test_group_balanced_sampler import ToyFairDataset

import mmkd_plus  # noqa: F401
from mmkd_plus.datasets import DigitsS, GroupBalancedBatchSampler

BATCH = 40  # per rank: 20 (group, label) cells x 2
WORLD = 2
EPOCHS = 2

DDP_SCRIPT = textwrap.dedent('''
    import json
    import os
    import sys
    from types import SimpleNamespace

    import torch
    import torch.multiprocessing as mp

    OUT = sys.argv[1]
    with open(os.path.join(OUT, 'args.json')) as f:
        ARGS = json.load(f)


    def worker(rank):
        torch.set_num_threads(1)
        import mmkd_plus  # noqa: F401  (registers the sampler, dataset)
        from mmengine.dist import (barrier, get_dist_info, init_dist,
                                   is_distributed)
        from mmengine.hooks import DistSamplerSeedHook
        from mmengine.registry import DefaultScope
        from mmengine.runner import Runner

        init_dist('pytorch', backend='gloo',
                  init_method='file://' + os.path.join(OUT, 'rdv'),
                  rank=rank, world_size=ARGS['world'])
        assert is_distributed() and get_dist_info() == (rank, ARGS['world'])
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            # as a Runner with randomness=dict(seed=.., diff_rank_seed=True)
            # builds it: a different seed on each rank, so the sampler's
            # seed must come from the process group
            loader = Runner.build_dataloader(
                dict(
                    batch_size=ARGS['batch'],
                    num_workers=0,
                    sampler=dict(type='DefaultSampler', shuffle=True),
                    batch_sampler=dict(type='GroupBalancedBatchSampler'),
                    dataset=dict(
                        type='DigitsS',
                        data_root=ARGS['data_root'],
                        split='train',
                        pipeline=[dict(type='PackInputs',
                                       algorithm_keys=('group', ))])),
                seed=1000 + rank,
                diff_rank_seed=True)
        bs = loader.batch_sampler
        hook = DistSamplerSeedHook()
        epochs = []
        for epoch in range(ARGS['epochs']):
            hook.before_train_epoch(SimpleNamespace(
                epoch=epoch, train_loop=SimpleNamespace(dataloader=loader)))
            batches = []
            for data in loader:
                batches.append([[int(s.sample_idx), int(s.group),
                                 int(s.gt_label)]
                                for s in data['data_samples']])
            epochs.append(batches)
        result = dict(
            sampler=type(bs).__name__, rank=bs.rank,
            world_size=bs.world_size, seed=bs.seed, epoch=bs.epoch,
            len=len(bs), loader_len=len(loader), epochs=epochs)
        with open(os.path.join(OUT, 'rank%d.json' % rank), 'w') as f:
            json.dump(result, f)
        barrier()


    if __name__ == '__main__':
        mp.spawn(worker, nprocs=ARGS['world'], join=True)
''')


def test_no_sample_twice_in_one_step_when_a_cell_repeats():
    # odd small cells: a repetition starts in the middle of a step (2
    # ranks x 2 per cell); before the fix the end of one shuffle and the
    # start of the next put a sample on both ranks (or twice on one) in
    # some step for every one of these 50 seeds
    ds = ToyFairDataset({(0, 0): 31, (0, 1): 5, (1, 0): 7, (1, 1): 9})
    for seed in range(50):
        ranks = [
            list(
                GroupBalancedBatchSampler(
                    DefaultSampler(ds, seed=seed), 8, rank=r, world_size=2))
            for r in (0, 1)
        ]
        assert len(ranks[0]) == 31 // 4
        for a, b in zip(*ranks):
            assert len(set(a + b)) == 16, seed
        single = GroupBalancedBatchSampler(
            DefaultSampler(ds, seed=seed), 16, rank=0, world_size=1)
        for batch in single:
            assert len(set(batch)) == 16, seed
        # each small cell is still used in full before a sample repeats
        stream = [i for b in single for i in b if 31 <= i < 36]
        for k in range(0, len(stream) - 4, 5):
            assert sorted(stream[k:k + 5]) == list(range(31, 36)), seed


def test_a_cell_smaller_than_a_step_still_fills_its_share():
    # 2 ranks x 2 per cell = 4 draws a step from a cell of 3: a repeat in
    # the step cannot be avoided, but every batch stays balanced
    ds = ToyFairDataset({(0, 0): 8, (0, 1): 3})
    for r in (0, 1):
        bs = GroupBalancedBatchSampler(
            DefaultSampler(ds, seed=0), 4, rank=r, world_size=2)
        for batch in bs:
            assert Counter(ds.labels[i] for i in batch) == {0: 2, 1: 2}


def _indices(batches):
    return [[s[0] for s in batch] for batch in batches]


@pytest.fixture(scope='module')
def ddp_run(digits_root, tmp_path_factory):
    """The two ranks' records (one JSON each) and the training split."""
    out = tmp_path_factory.mktemp('gbs_ddp')
    with open(osp.join(str(out), 'args.json'), 'w') as f:
        json.dump(
            dict(
                data_root=digits_root, batch=BATCH, world=WORLD,
                epochs=EPOCHS), f)
    run_script(DDP_SCRIPT, out)
    ranks = []
    for r in range(WORLD):
        with open(osp.join(str(out), f'rank{r}.json')) as f:
            ranks.append(json.load(f))
    return ranks, DigitsS(data_root=digits_root, split='train')


@pytest.mark.slow
def test_rank_world_size_and_seed_come_from_the_process_group(ddp_run):
    ranks, _ = ddp_run
    for r, rec in enumerate(ranks):
        assert rec['sampler'] == 'GroupBalancedBatchSampler'
        assert (rec['rank'], rec['world_size']) == (r, WORLD)
        assert rec['epoch'] == EPOCHS - 1  # set by DistSamplerSeedHook
    # seeds 1000 and 1001 were given; rank 0's synchronised seed wins
    assert ranks[0]['seed'] == ranks[1]['seed']


@pytest.mark.slow
def test_balanced_batches_and_epoch_length(ddp_run):
    ranks, ds = ddp_run
    groups, labels = ds.get_groups(), ds.get_gt_labels()
    cells = Counter(zip(groups.tolist(), labels.tolist()))
    assert len(cells) == 20
    per_cell = BATCH // len(cells)
    largest = max(cells.values())
    # the epoch ends when the largest cell is used up by both ranks
    expected_len = largest // (WORLD * per_cell)
    assert expected_len >= 10
    for rec in ranks:
        assert rec['len'] == rec['loader_len'] == expected_len
        for batches in rec['epochs']:
            assert len(batches) == expected_len
            for batch in batches:
                # the packed group/label are the dataset's for that index
                for idx, g, y in batch:
                    assert (g, y) == (groups[idx], labels[idx])
                assert Counter((g, y) for _, g, y in batch) == {
                    cell: per_cell
                    for cell in cells
                }


@pytest.mark.slow
def test_ranks_disjoint_and_together_one_process_of_twice_the_batch(ddp_run):
    ranks, ds = ddp_run
    groups, labels = ds.get_groups(), ds.get_gt_labels()
    cells = Counter(zip(groups.tolist(), labels.tolist()))
    big = max(cells, key=cells.get)
    seed = ranks[0]['seed']
    single = GroupBalancedBatchSampler(
        DefaultSampler(ds, seed=seed), WORLD * BATCH, rank=0, world_size=1)
    for epoch in range(EPOCHS):
        single.set_epoch(epoch)
        reference = list(single)
        per_rank = [_indices(rec['epochs'][epoch]) for rec in ranks]
        assert len(reference) == len(per_rank[0])
        used = Counter()
        for step, ref in enumerate(reference):
            a, b = per_rank[0][step], per_rank[1][step]
            assert set(a).isdisjoint(b), (epoch, step)
            # both ranks' batches of a step are one process's batch of
            # twice the size, with the same seed
            assert sorted(a + b) == sorted(ref), (epoch, step)
            used.update(a + b)
        # the largest cell: no sample twice in an epoch over both ranks
        big_used = [i for i in used if (groups[i], labels[i]) == big]
        assert all(used[i] == 1 for i in big_used)
        assert len(big_used) == len(reference) * WORLD * BATCH // len(cells)
        # a smaller cell is repeated evenly: every member as often as the
        # others, or once more
        for cell, size in cells.items():
            members = np.flatnonzero((groups == cell[0]) & (labels == cell[1]))
            counts = [used[i] for i in members]
            draws = len(reference) * WORLD * BATCH // len(cells)
            assert sum(counts) == draws
            assert min(counts) == draws // size, cell
            assert max(counts) == -(-draws // size), cell


@pytest.mark.slow
def test_set_epoch_reshuffles_the_same_way_on_both_ranks(ddp_run):
    ranks, ds = ddp_run
    seed = ranks[0]['seed']
    for r, rec in enumerate(ranks):
        first, second = (_indices(b) for b in rec['epochs'])
        assert first != second
        # each rank's epochs are exactly the stride-r share of the common
        # per-epoch order: the sampler built here for rank r, epoch e
        sampler = DefaultSampler(ds, seed=seed)
        by_hand = GroupBalancedBatchSampler(
            sampler, BATCH, rank=r, world_size=WORLD)
        for epoch, got in enumerate((first, second)):
            sampler.set_epoch(epoch)
            assert list(by_hand) == got, (r, epoch)
