# Copyright (c) OpenMMLab. All rights reserved.
"""The AT README's recipe for unequal maps gives the benchmark's AT: the
larger map adaptive-average-pooled, then MMRazor's ATLoss."""
import pytest
import torch
import torch.nn.functional as F
from mmrazor.registry import MODELS


def test_pooled_at_equals_the_benchmark_form():
    torch.manual_seed(0)
    s = torch.randn(2, 16, 4, 4)
    t = torch.randn(2, 32, 8, 8)
    pool = MODELS.build(
        dict(_scope_='mmrazor', type='TorchFunctionalConnector',
             function_name='adaptive_avg_pool2d',
             func_args=dict(output_size=(4, 4))))
    at = MODELS.build(dict(_scope_='mmrazor', type='ATLoss',
                           loss_weight=1000.0))
    got = at(s, pool(t))
    # the benchmark: pool the larger map, a = normalize(mean_c x^2),
    # mean over (B, HW) of the squared difference
    tp = F.adaptive_avg_pool2d(t, (4, 4))

    def att(x):
        v = x.pow(2).mean(1).flatten(1)
        return v / v.norm(dim=1, keepdim=True)

    expected = 1000.0 * (att(s) - att(tp)).pow(2).mean()
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
