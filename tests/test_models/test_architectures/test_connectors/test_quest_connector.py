# Copyright (c) OpenMMLab. All rights reserved.
"""QuESTConnector: the 1x1 cosine convolution of QuEST's student."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmrazor.registry import MODELS

from mmkd_plus.models.architectures.connectors.quest_connector import \
    QuESTConnector


def test_scores_are_scaled_cosines():
    torch.manual_seed(0)
    conn = QuESTConnector(in_channels=8, num_words=5, lazy=False)
    feats = torch.randn(2, 8, 3, 4)
    scores = conn(feats)
    assert scores.shape == (2, 5, 3, 4)
    # by hand at one position
    f = feats[1, :, 2, 3]
    w = conn.weight[:, :, 0, 0]
    expected = 3.0 * F.cosine_similarity(w, f[None], dim=1)
    torch.testing.assert_close(scores[1, :, 2, 3], expected)


def test_scale_invariance_and_bound():
    torch.manual_seed(0)
    conn = QuESTConnector(in_channels=8, num_words=16, scale_init=2.5,
                          lazy=False)
    feats = torch.randn(3, 8, 4, 4)
    scores = conn(feats)
    # a positive rescaling of every position leaves the scores unchanged
    rescale = torch.rand(3, 1, 4, 4) * 100 + 0.01
    torch.testing.assert_close(conn(feats * rescale), scores)
    assert bool((scores.abs() <= 2.5 + 1e-5).all())
    # gamma multiplies every score
    with torch.no_grad():
        conn.scale.fill_(5.0)
    torch.testing.assert_close(conn(feats), scores * 2)


def test_init_gamma_bias_and_gradients():
    torch.manual_seed(0)
    conn = QuESTConnector(in_channels=512, num_words=1024, lazy=False)
    assert conn.weight.shape == (1024, 512, 1, 1)
    assert conn.bias is None
    assert conn.weight.std().item() == pytest.approx(math.sqrt(2 / 512),
                                                     rel=0.02)
    assert conn.scale.item() == 3.0 and conn.scale.requires_grad
    fixed = QuESTConnector(4, 3, scale_init=10., learn_scale=False, bias=True)
    assert not fixed.scale.requires_grad
    assert fixed.bias.shape == (3, ) and bool((fixed.bias == 0).all())
    out = conn(torch.randn(1, 512, 2, 2)).sum()
    out.backward()
    # without a bias the output is gamma times cosines: d sum / d gamma is
    # the sum of the cosines
    assert conn.scale.grad.item() == pytest.approx(
        out.item() / 3.0, abs=1e-4)
    # the weight's gradient (through its normalisation) against finite
    # differences, in float64
    small = QuESTConnector(4, 3, lazy=False).double()
    x = torch.randn(2, 4, 2, 2, dtype=torch.float64, requires_grad=True)
    params = {
        name: p.detach().clone().requires_grad_()
        for name, p in small.named_parameters()
    }

    def scores(x, weight, scale):
        return torch.func.functional_call(small, dict(
            weight=weight, scale=scale), (x, ))

    assert torch.autograd.gradcheck(
        scores, (x, params['weight'], params['scale']))


def test_amp_input_dtype_and_registry():
    conn = MODELS.build(dict(type='QuESTConnector', in_channels=4,
                             num_words=3, lazy=False))
    assert isinstance(conn, QuESTConnector)
    out = conn(torch.randn(1, 4, 2, 2).half())
    assert out.dtype == torch.float32
    out = conn(torch.randn(1, 4, 2, 2).bfloat16())
    assert out.dtype == torch.float32
    with pytest.raises(ValueError, match='in_channels=4'):
        conn(torch.randn(1, 5, 2, 2))


def test_lazy_output_holds_the_projection_inputs():
    torch.manual_seed(0)
    conn = QuESTConnector(in_channels=4, num_words=3, bias=True)
    conn.bias.data.normal_()
    feats = torch.randn(2, 4, 3, 3)
    lazy = conn(feats)  # the default
    conn.lazy = False
    scores = conn(feats)
    assert lazy.feature is feats and lazy.weight is conn.weight
    assert lazy.scale is conn.scale and lazy.bias is conn.bias
    assert lazy.shape == scores.shape
    torch.testing.assert_close(lazy.materialize(), scores)
    built = MODELS.build(dict(type='QuESTConnector', in_channels=4,
                              num_words=3))
    assert built.lazy
    with pytest.raises(ValueError, match='in_channels=4'):
        built(torch.randn(1, 5, 2, 2))
