# Copyright (c) OpenMMLab. All rights reserved.
"""QuESTLoss.build_vocabulary: k-means words installed and reported."""
import sys

import pytest
import torch

import mmkd_plus.models.losses.quest_loss as vocab_module
from mmkd_plus.models.losses.quest_loss import QuESTLoss
from mmkd_plus.ops.quest import closest_word_probability

CENTRES = torch.tensor([[0., 0.], [10., 0.], [0., 10.]])


def _blobs(per_blob=100):
    """Three tight blobs around CENTRES, interleaved."""
    noise = 0.1 * torch.randn(
        per_blob, 3, 2, generator=torch.Generator().manual_seed(0))
    return (CENTRES + noise).reshape(-1, 2)


def _sorted_rows(t):
    return sorted(map(tuple, t.round(decimals=1).tolist()))


def test_build_installs_the_kmeans_words_and_reports_them():
    loss = QuESTLoss(num_words=3, feat_channels=2, tau=0.5)
    feats = _blobs()
    stats = loss.build_vocabulary(feats, niter=10, seed=4, backend='torch')
    assert loss.is_ready
    assert _sorted_rows(loss.vocab) == _sorted_rows(CENTRES)
    assert stats['backend'] == 'torch'
    assert stats['points'] == stats['vectors'] == 300
    assert stats['inertia'] == pytest.approx(2 * 0.1**2, rel=0.3)
    expected = closest_word_probability(feats, loss.vocab, 0.5)
    assert stats['prob'] == pytest.approx(float(expected))
    # a blob is far from the other words: the assignment is hard
    assert stats['prob'] > 0.99


def test_build_checks_the_width():
    loss = QuESTLoss(num_words=3, feat_channels=4)
    with pytest.raises(ValueError, match=r'\(300, 2\).*feat_channels=4'):
        loss.build_vocabulary(_blobs())
    assert not loss.is_ready


def test_build_runs_kmeans_and_the_statistic_on_the_compute_device(
        monkeypatch):
    """On a GPU machine the vectors go to the GPU before k-means and the
    closest-word statistic: here a stand-in device ('meta') plays it."""
    seen = {}

    def fake_kmeans(x, k, **kwargs):
        seen['kmeans'] = x.device
        return sys.modules['mmkd_plus.ops.kmeans'].KMeansResult(
            CENTRES.clone(), 0.0, 'torch (cuda:0)', x.shape[0])

    def fake_prob(feats, vocab, tau):
        seen['prob'] = (feats.device, vocab.device)
        return torch.tensor(0.99)

    monkeypatch.setattr(vocab_module, 'compute_device',
                        lambda x: torch.device('meta'))
    monkeypatch.setattr(vocab_module, 'kmeans', fake_kmeans)
    monkeypatch.setattr(vocab_module, 'closest_word_probability', fake_prob)
    loss = QuESTLoss(num_words=3, feat_channels=2)
    stats = loss.build_vocabulary(_blobs())
    meta = torch.device('meta')
    assert seen == {'kmeans': meta, 'prob': (meta, meta)}
    assert stats['backend'] == 'torch (cuda:0)'
    torch.testing.assert_close(loss.vocab, CENTRES)  # installed on its own
