# Copyright (c) OpenMMLab. All rights reserved.
"""Optimal transport between two batches of embeddings (no state, no
registry).

The local term of WCoRD ("Wasserstein Contrastive Representation
Distillation", Chen et al., CVPR 2021, https://arxiv.org/abs/2012.08674):
the primal form of the Wasserstein distance between the empirical
distributions of a mini-batch's teacher embeddings ``t_1..t_n`` and student
embeddings ``s_1..s_m``, each of uniform mass,

``L = sum_ij P*_ij C_ij``,  ``P* = argmin_{P in Pi(a, b)} <P, C> - eps H(P)``

with a cost matrix ``C`` (:func:`cost_matrix`) and the plan ``P*`` held
constant (:func:`transport_plan` returns it without gradient), so the
gradient reaches the embeddings through ``C`` only.

The plan is computed by POT (https://pythonot.github.io): log-domain
Sinkhorn, ``ot.sinkhorn(..., method='sinkhorn_log')``, which runs on the
tensors' own device through POT's torch backend. POT has no IPOT solver
("A Fast Proximal Point Method for Computing Exact Wasserstein Distance",
Xie et al., UAI 2019, https://arxiv.org/abs/1802.04307), which the WCoRD
authors' group uses elsewhere; :func:`ipot_plan` is that solver (one inner
Sinkhorn step per proximal step), in a few lines of torch.
"""
from typing import Optional

import torch
from torch import Tensor

__all__ = [
    'COSTS', 'SOLVERS', 'cost_matrix', 'import_pot', 'ipot_plan',
    'transport_plan', 'transport_loss'
]

#: The costs of :func:`cost_matrix`.
COSTS = ('cosine', 'sqeuclidean')
#: The solvers of :func:`transport_plan`.
SOLVERS = ('sinkhorn', 'ipot')


def cost_matrix(x: Tensor, y: Tensor, cost: str = 'cosine') -> Tensor:
    """Pairwise transport costs between the rows of ``x`` and ``y``.

    Args:
        x (Tensor): Shape (n, D).
        y (Tensor): Shape (m, D).
        cost (str): ``'cosine'``: ``C_ij = 1 - cos(x_i, y_j)``, in [0, 2];
            ``'sqeuclidean'``: ``C_ij = ||x_i - y_j||^2``. On L2-normalised
            rows the second is twice the first. Defaults to ``'cosine'``.

    Returns:
        Tensor: ``C``, shape (n, m), differentiable in ``x`` and ``y``.
    """
    if x.dim() != 2 or y.dim() != 2 or x.shape[1] != y.shape[1]:
        raise ValueError('cost_matrix expects x (n, D) and y (m, D), got '
                         f'{tuple(x.shape)} and {tuple(y.shape)}.')
    if cost == 'cosine':
        x_n = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        y_n = y / y.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return 1 - x_n @ y_n.t()
    if cost == 'sqeuclidean':
        # the expansion, not cdist: finite gradients at zero distance
        sq = x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1) - 2 * x @ y.t()
        return sq.clamp_min(0)
    raise ValueError(f'cost must be one of {COSTS}, got {cost!r}.')


@torch.no_grad()
def ipot_plan(cost: Tensor,
              a: Tensor,
              b: Tensor,
              beta: float = 1.0,
              num_iters: int = 50) -> Tensor:
    """IPOT: the exact-OT plan by proximal point iterations.

    Each step solves ``argmin_P <P, C> + beta KL(P || P_prev)`` over
    ``Pi(a, b)`` approximately with one Sinkhorn scaling (Algorithm 1 of
    Xie et al. with L = 1): ``Q = exp(-C / beta) * P``,
    ``u = a / (Q v)``, ``v = b / (Q^T u)``, ``P = diag(u) Q diag(v)``.
    Unlike Sinkhorn, the plan tends to the *unregularised* optimum as
    the steps grow, for any ``beta``.

    Args:
        cost (Tensor): ``C``, shape (n, m).
        a (Tensor): Source marginal, shape (n, ), summing to 1.
        b (Tensor): Target marginal, shape (m, ), summing to 1.
        beta (float): Proximal step (> 0). Defaults to 1.0, the authors'.
        num_iters (int): Proximal steps. Defaults to 50.

    Returns:
        Tensor: The plan, shape (n, m), without gradient.
    """
    if beta <= 0 or num_iters < 1:
        raise ValueError('ipot_plan needs beta > 0 and num_iters >= 1, got '
                         f'{beta} and {num_iters}.')
    kernel = torch.exp(-cost / beta)
    plan = torch.ones_like(cost)
    v = torch.ones_like(b) / b.numel()
    for _ in range(num_iters):
        q = kernel * plan
        u = a / (q @ v)
        v = b / (q.t() @ u)
        plan = u.unsqueeze(1) * q * v.unsqueeze(0)
    return plan


def import_pot():
    """POT, imported when first needed: it is the ``wcord`` extra (it brings
    scipy), so ``import mmkd_plus`` does not need it."""
    try:
        import ot
    except ImportError as err:
        raise ImportError(
            "ot_solver='sinkhorn' (WCoRD's local term) needs POT: pip "
            "install POT (or mmkd_plus with the 'wcord' extra), or set "
            "ot_solver='ipot', which needs nothing more.") from err
    return ot


@torch.no_grad()
def transport_plan(cost: Tensor,
                   solver: str = 'sinkhorn',
                   epsilon: float = 0.05,
                   num_iters: int = 50,
                   beta: float = 1.0,
                   a: Optional[Tensor] = None,
                   b: Optional[Tensor] = None) -> Tensor:
    """The optimal transport plan for ``cost``, held constant.

    Args:
        cost (Tensor): ``C``, shape (n, m) (detached here).
        solver (str): ``'sinkhorn'``: entropic OT with regularisation
            ``epsilon`` by POT's log-domain Sinkhorn (``ot.sinkhorn(...,
            method='sinkhorn_log')``), at most ``num_iters`` iterations;
            ``'ipot'``: :func:`ipot_plan` with ``beta``, ``num_iters``
            steps. Defaults to ``'sinkhorn'``.
        epsilon (float): Entropic regularisation of Sinkhorn (> 0), in the
            units of the cost. Defaults to 0.05.
        num_iters (int): Iterations. Defaults to 50.
        beta (float): IPOT's proximal step. Defaults to 1.0.
        a (Tensor, optional): Source marginal (n, ); uniform if None.
        b (Tensor, optional): Target marginal (m, ); uniform if None.

    Returns:
        Tensor: The plan ``P``, shape (n, m), in the cost's dtype and
        device, without gradient; its rows sum to ``a`` and its columns to
        ``b`` (up to the solver's convergence).
    """
    if cost.dim() != 2:
        raise ValueError(
            f'transport_plan expects a (n, m) cost, got {tuple(cost.shape)}.')
    if num_iters < 1:
        raise ValueError(f'num_iters must be >= 1, got {num_iters}.')
    cost = cost.detach()
    n, m = cost.shape
    if a is None:
        a = cost.new_full((n, ), 1.0 / n)
    if b is None:
        b = cost.new_full((m, ), 1.0 / m)
    if solver == 'sinkhorn':
        if epsilon <= 0:
            raise ValueError(f'epsilon must be > 0, got {epsilon}.')
        ot = import_pot()
        # stopThr=0: exactly num_iters iterations, a fixed cost per step
        # (and no early exit that would differ between devices)
        return ot.sinkhorn(
            a,
            b,
            cost,
            epsilon,
            method='sinkhorn_log',
            numItermax=num_iters,
            stopThr=0.0,
            warn=False)
    if solver == 'ipot':
        return ipot_plan(cost, a, b, beta, num_iters)
    raise ValueError(f'solver must be one of {SOLVERS}, got {solver!r}.')


def transport_loss(target: Tensor,
                   source: Tensor,
                   cost: str = 'cosine',
                   **plan_kwargs) -> Tensor:
    """``sum_ij P*_ij C_ij`` with the plan constant: the OT distance whose
    gradient reaches the inputs through the cost only.

    Args:
        target (Tensor): Rows ``t_i`` (e.g. the teacher's embeddings,
            detached by the caller if it must get no gradient), (n, D).
        source (Tensor): Rows ``s_j`` (the student's embeddings), (m, D).
        cost (str): See :func:`cost_matrix`. Defaults to ``'cosine'``.
        **plan_kwargs: ``solver``, ``epsilon``, ``num_iters``, ``beta`` of
            :func:`transport_plan`.

    Returns:
        Tensor: The loss, a scalar (uniform marginals: the plan sums to
        1, so the loss is a mean cost, in [0, 2] for the cosine cost).
    """
    costs = cost_matrix(target, source, cost)
    plan = transport_plan(costs, **plan_kwargs)
    return (plan * costs).sum()
