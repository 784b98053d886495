# Copyright (c) OpenMMLab. All rights reserved.
"""Optimal transport ops of WCoRD's local term: costs by hand, the plans
against POT's exact solver, the gradient through the cost only."""
import math

import ot
import pytest
import torch
import torch.nn.functional as F

from mmkd_plus.ops.optimal_transport import (cost_matrix, ipot_plan,
                                             transport_loss, transport_plan)


def _problem(n=6, m=6, dim=5, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=g, dtype=dtype)
    y = torch.randn(m, dim, generator=g, dtype=dtype)
    return cost_matrix(x, y, 'sqeuclidean')


def _uniform(n, dtype=torch.float64):
    return torch.full((n, ), 1.0 / n, dtype=dtype)


def test_cost_matrix_by_hand():
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    y = torch.tensor([[3.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    r = 1 / math.sqrt(2)
    expected = torch.tensor([[0.0, 1 - r, 1.0], [1.0, 1 - r, 2.0]])
    assert torch.allclose(cost_matrix(x, y), expected, atol=1e-6)
    sq = torch.tensor([[4.0, 1.0, 2.0], [13.0, 2.0, 9.0]])
    assert torch.allclose(cost_matrix(x, y, 'sqeuclidean'), sq)
    # unit rows: the squared distance is twice 1 - cos
    u = F.normalize(torch.randn(4, 3), dim=1)
    v = F.normalize(torch.randn(5, 3), dim=1)
    assert torch.allclose(
        cost_matrix(u, v, 'sqeuclidean'), 2 * cost_matrix(u, v), atol=1e-5)
    with pytest.raises(ValueError, match='cost must be one of'):
        cost_matrix(x, y, 'l1')
    with pytest.raises(ValueError, match=r'x \(n, D\) and y \(m, D\)'):
        cost_matrix(x, torch.ones(3, 4))


def test_sinkhorn_plan_of_a_2x2_problem_by_hand():
    # zero cost on the diagonal, 1 off it: P = 0.5 / (1 + k) [[1, k], [k, 1]]
    # with k = exp(-1 / eps)
    cost = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    eps = 0.5
    k = math.exp(-1 / eps)
    plan = transport_plan(cost, epsilon=eps, num_iters=100)
    expected = 0.5 / (1 + k) * torch.tensor([[1.0, k], [k, 1.0]],
                                            dtype=torch.float64)
    assert torch.allclose(plan, expected, atol=1e-10)


@pytest.mark.parametrize('shape', [(6, 6), (5, 7)])
def test_sinkhorn_tends_to_the_exact_plan_as_epsilon_falls(shape):
    cost = _problem(*shape)
    cost = cost / cost.max()  # in [0, 1]: eps in units of the largest cost
    a, b = _uniform(shape[0]), _uniform(shape[1])
    exact_plan = ot.emd(a, b, cost)
    exact = float((exact_plan * cost).sum())
    gaps = []
    for eps in (0.1, 0.01, 0.001):
        plan = transport_plan(cost, epsilon=eps, num_iters=5000)
        assert torch.allclose(plan.sum(1), a, atol=1e-4)
        assert torch.allclose(plan.sum(0), b, atol=1e-4)
        assert (plan >= 0).all()
        gaps.append(float((plan * cost).sum()) - exact)
    # closer to the exact optimum as eps falls, and within 1e-4 at 0.001
    assert gaps[0] > gaps[1] > abs(gaps[2])
    assert abs(gaps[2]) < 1e-4
    # the plan itself tends to the (unique) exact one
    assert torch.allclose(plan, exact_plan, atol=2e-3)


def test_ipot_reaches_the_exact_cost():
    cost = _problem(6, 6, seed=1)
    a = b = _uniform(6)
    exact = float((ot.emd(a, b, cost) * cost).sum())
    plan = transport_plan(cost, solver='ipot', beta=1.0, num_iters=2000)
    assert torch.allclose(plan.sum(1), a, atol=1e-6)
    assert torch.allclose(plan.sum(0), b, atol=1e-6)
    assert float((plan * cost).sum()) == pytest.approx(exact, rel=1e-4)
    # few steps: farther from the optimum than many
    few = ipot_plan(cost, a, b, beta=1.0, num_iters=3)
    assert float((few * cost).sum()) > float((plan * cost).sum())
    with pytest.raises(ValueError, match='beta > 0'):
        ipot_plan(cost, a, b, beta=0.0)


def test_default_plan_on_batch_embeddings():
    """The defaults (eps 0.05, 50 iterations) on a 64 x 64 plan of 128-d
    embeddings, float32: marginals met, no gradient, same dtype."""
    g = torch.Generator().manual_seed(0)
    t = F.normalize(torch.randn(64, 128, generator=g), dim=1)
    s = F.normalize(t + 0.3 * torch.randn(64, 128, generator=g), dim=1)
    cost = cost_matrix(t, s)
    plan = transport_plan(cost)
    assert plan.dtype == torch.float32 and not plan.requires_grad
    assert (plan.sum(1) - 1 / 64).abs().sum() < 1e-3
    assert (plan.sum(0) - 1 / 64).abs().sum() < 1e-3
    exact = ot.emd(
        _uniform(64, torch.float32), _uniform(64, torch.float32), cost)
    assert float((plan * cost).sum()) == pytest.approx(
        float((exact * cost).sum()), rel=0.1)


def test_gradient_reaches_the_inputs_through_the_cost_only():
    g = torch.Generator().manual_seed(3)
    t = F.normalize(torch.randn(5, 4, generator=g, dtype=torch.float64), dim=1)
    s = F.normalize(torch.randn(5, 4, generator=g, dtype=torch.float64), dim=1)
    s.requires_grad_(True)
    loss = transport_loss(t, s, epsilon=0.1, num_iters=200)
    loss.backward()
    plan = transport_plan(
        cost_matrix(t, s.detach()), epsilon=0.1, num_iters=200)
    sd = s.detach()
    assert float(loss.detach()) == pytest.approx(
        float((plan * cost_matrix(t, sd)).sum()))
    # d/ds_j sum_i P_ij (1 - <t_i, s_j> / |s_j|) at |s_j| = 1:
    # -sum_i P_ij (t_i - <t_i, s_j> s_j); nothing through the plan
    expected = -(
        plan.t() @ t - (plan * (t @ sd.t())).sum(0, keepdim=True).t() * sd)
    assert torch.allclose(s.grad, expected, atol=1e-10)
    # a detached target gets no gradient
    assert not t.requires_grad
    t2 = t.clone().requires_grad_(True)
    transport_loss(t2.detach(), s).backward()
    assert t2.grad is None


def test_bad_arguments():
    cost = torch.ones(3, 3)
    with pytest.raises(ValueError, match='solver must be one of'):
        transport_plan(cost, solver='emd')
    with pytest.raises(ValueError, match='epsilon must be > 0'):
        transport_plan(cost, epsilon=0.0)
    with pytest.raises(ValueError, match='num_iters'):
        transport_plan(cost, num_iters=0)
    with pytest.raises(ValueError, match=r'\(n, m\) cost'):
        transport_plan(torch.ones(3))
