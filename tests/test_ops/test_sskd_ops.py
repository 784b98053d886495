# Copyright (c) OpenMMLab. All rights reserved.
"""SSKD's tensor functions against hand-computed values."""
import math

import pytest
import torch

from mmkd_plus.ops.sskd import (select_by_rank, selective_transfer_mask,
                                soft_kl, split_views, target_rank,
                                view_similarity)


def test_split_views_interleaved():
    x = torch.arange(12).view(6, 2)
    views = split_views(x, 3)
    assert views.shape == (2, 3, 2)
    # row i * V + v is view v of image i
    assert views[1, 0].tolist() == [6, 7] and views[0, 2].tolist() == [4, 5]
    with pytest.raises(ValueError, match='cannot hold 4 views'):
        split_views(x, 4)


def test_view_similarity_by_hand():
    # interleaved rows: n0, t0, n1, t1
    z = torch.tensor([[1., 0.], [1., 1.], [0., 1.], [0., -2.]])
    a = view_similarity(z, 2)
    r = 1 / math.sqrt(2)
    # rows: transformed views (t0, t1); columns: normal views (n0, n1)
    assert torch.allclose(a, torch.tensor([[r, r], [0., -1.]]), atol=1e-6)
    # scale does not matter (cosine)
    assert torch.allclose(view_similarity(3 * z, 2), a, atol=1e-6)
    with pytest.raises(ValueError, match='at least one transformed view'):
        view_similarity(z, 1)


def test_view_similarity_row_order():
    # B = 2, V = 3: rows are (i=0, r=1), (0, 2), (1, 1), (1, 2)
    normal = [torch.tensor([1., 0.]), torch.tensor([0., 1.])]
    rows = [[1., 0.], [1., 0.], [0., 1.], [-1., 0.]]
    z = torch.stack([
        normal[0],
        torch.tensor(rows[0]),
        torch.tensor(rows[1]), normal[1],
        torch.tensor(rows[2]),
        torch.tensor(rows[3])
    ])
    a = view_similarity(z, 3)
    assert a.tolist() == [[1., 0.], [1., 0.], [0., 1.], [-1., 0.]]


def test_target_rank_counts_strictly_greater():
    scores = torch.tensor([[0.1, 0.5, 0.3], [0.9, 0.2, 0.2], [1., 0., -1.]])
    # row 1: the tie with the other 0.2 counts in the target's favour
    assert target_rank(scores, torch.tensor([2, 1, 0])).tolist() == [1, 1, 0]


def _scores_with_ranks(ranks):
    # scores[i, j] = K - j: the target j has exactly j higher scores
    k = max(ranks) + 1
    scores = (k - torch.arange(k, dtype=torch.float)).repeat(len(ranks), 1)
    return scores, torch.tensor(ranks)


@pytest.mark.parametrize(
    'ratio,kept',
    [
        (0.0, [0, 3]),
        (0.5, [0, 2, 3, 4]),  # W = 4 wrong, keep the 2 least wrong
        (0.75, [0, 1, 2, 3, 4]),  # keep 3: ranks 1, 2, 3; drop rank 5
        (1.0, [0, 1, 2, 3, 4, 5]),
    ])
def test_selective_transfer_keeps_the_least_wrong(ratio, kept):
    scores, target = _scores_with_ranks([0, 3, 1, 0, 2, 5])
    mask = selective_transfer_mask(scores, target, ratio)
    assert torch.nonzero(mask).flatten().tolist() == kept


def test_selective_transfer_ties_by_position():
    scores, target = _scores_with_ranks([2, 2, 2, 0])
    # floor(0.5 * 3) = 1 of three equally wrong rows: the first
    mask = selective_transfer_mask(scores, target, 0.5)
    assert mask.tolist() == [True, False, False, True]
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        selective_transfer_mask(scores, target, 1.5)


def test_selective_transfer_ties_at_the_cut_off_keep_the_lowest_rows():
    # 192 rows (the 3 x 64 transformed rows of one batch) with ranks 0-3:
    # the cut-off falls inside a run of equal ranks
    rank = torch.randint(0, 4, (192, ),
                         generator=torch.Generator().manual_seed(0))
    wrong = [i for i in range(192) if rank[i] > 0]
    num_keep = int(0.75 * len(wrong))
    by_rank = sorted(wrong, key=lambda i: (int(rank[i]), i))
    cut = int(rank[by_rank[num_keep - 1]])
    assert int(rank[by_rank[num_keep]]) == cut  # ties across the cut-off
    mask = select_by_rank(rank, 0.75)
    kept = torch.nonzero(mask).flatten().tolist()
    assert len(kept) == 192 - len(wrong) + num_keep
    # every right row, every row below the cut-off, and of the rows at
    # the cut-off the lowest-index ones
    tied = [i for i in range(192) if rank[i] == cut]
    kept_tied = [i for i in kept if rank[i] == cut]
    assert kept_tied == tied[:len(kept_tied)]
    assert all(mask[i] for i in range(192) if rank[i] < cut)
    assert not any(mask[i] for i in range(192) if rank[i] > cut)
    # the rule is the rows' order: with the rows reversed, the tied rows
    # kept are the last ones of the original order
    order = torch.arange(191, -1, -1)
    mask_reversed = select_by_rank(rank[order], 0.75)
    kept_tied_reversed = [
        int(order[i]) for i in torch.nonzero(mask_reversed).flatten()
        if rank[order[i]] == cut
    ]
    assert sorted(kept_tied_reversed) == tied[-len(kept_tied):]


def test_soft_kl_by_hand():
    s = torch.tensor([[0., 0.]], requires_grad=True)
    t = torch.tensor([[math.log(3.), 0.]])
    # tau 1: p_t = (3/4, 1/4), p_s = (1/2, 1/2)
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert soft_kl(s, t, 1.0).item() == pytest.approx(expected, rel=1e-5)
    # tau 2: p_t = (sqrt3, 1) / (1 + sqrt3), times tau^2
    q = math.sqrt(3) / (1 + math.sqrt(3))
    expected2 = 4 * (q * math.log(2 * q) + (1 - q) * math.log(2 * (1 - q)))
    assert soft_kl(s, t, 2.0).item() == pytest.approx(expected2, rel=1e-5)


def test_soft_kl_means_over_kept_rows():
    s = torch.tensor([[0., 0.], [5., -5.], [0., 0.]])
    t = torch.tensor([[math.log(3.), 0.], [0., 0.], [math.log(3.), 0.]])
    mask = torch.tensor([True, False, True])
    one = soft_kl(s[:1], t[:1], 1.0)
    assert torch.allclose(soft_kl(s, t, 1.0, mask), one)
    # nothing kept: zero, still differentiable
    s.requires_grad_(True)
    zero = soft_kl(s, t, 1.0, torch.zeros(3, dtype=torch.bool))
    zero.backward()
    assert zero.item() == 0.0 and torch.equal(s.grad, torch.zeros_like(s))
