# Copyright (c) OpenMMLab. All rights reserved.
"""Tensor functions behind the CRD-benchmark feature losses.

Plain functions on tensors, without parameters or registries, used by
:class:`~mmkd_plus.models.losses.NSTLoss`, ``FSPLoss``, ``PKTLoss``,
``SPLoss``, ``CCLoss`` and ``VIDLoss``. Their semantics follow the CRD
benchmark's implementations (Tian et al., ICLR 2020,
https://github.com/HobbitLong/RepDistiller, ``distiller_zoo/``), written
afresh.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'ft_factor',
    'autocast_off', 'compute_dtype', 'to_compute_dtype', 'pool_to_smaller',
    'pool_pair_to_smaller', 'channel_normalize', 'poly_kernel', 'nst_mmd',
    'fsp_matrix', 'pkt_probabilities', 'pkt_divergence', 'sp_similarity',
    'cc_consecutive_product', 'gaussian_nll'
]


def autocast_off(device: torch.device) -> torch.autocast:
    """A context that disables autocast on ``device``.

    Under mixed precision (MMEngine's ``AmpOptimWrapper``), distillation
    losses run inside ``torch.autocast``, which would recast the fp32
    inputs of matrix products back to fp16/bf16; Gram matrices summed over
    thousands of elements then lose precision or overflow. The losses
    compute inside this context, on inputs cast by :func:`to_compute_dtype`.

    Args:
        device (torch.device): The device of the inputs.

    Returns:
        torch.autocast: The context manager.
    """
    return torch.autocast(device_type=device.type, enabled=False)


def compute_dtype(*dtypes: torch.dtype) -> torch.dtype:
    """The floating dtype to compute in: at least fp32.

    The package's one dtype rule, shared by these losses and by the
    k-means distances (:mod:`mmkd_plus.ops.kmeans`): fp16/bf16 features
    (mixed precision) and integers are promoted to fp32, so that sums over
    many elements and the ``log`` terms stay accurate and features meet
    fp32 parameters without a dtype error; fp64 stays fp64.

    Args:
        *dtypes (torch.dtype): The dtypes of the inputs (and parameters).

    Returns:
        torch.dtype: ``torch.float32`` or a wider floating dtype.
    """
    result = torch.float32
    for dtype in dtypes:
        result = torch.promote_types(result, dtype)
    return result


def to_compute_dtype(*tensors: Tensor) -> Tuple[Tensor, ...]:
    """Cast tensors to their common :func:`compute_dtype`.

    Args:
        *tensors (Tensor): Tensors to cast.

    Returns:
        tuple[Tensor]: The tensors, in one floating dtype of at least fp32.
    """
    dtype = compute_dtype(*(t.dtype for t in tensors))
    return tuple(t.to(dtype) for t in tensors)


def pool_to_smaller(x: Tensor, size: Sequence[int]) -> Tensor:
    """Adaptive-average-pool the spatial dims of ``x`` down to ``size``.

    Each spatial dim is pooled to ``min(current, target)``: the map is only
    ever shrunk, never up-sampled. A map that is already small enough is
    returned unchanged.

    Args:
        x (Tensor): A map of shape (B, C, H, W).
        size (Sequence[int]): The target (H', W').

    Returns:
        Tensor: Shape (B, C, min(H, H'), min(W, W')).
    """
    h, w = x.shape[-2:]
    out = (min(h, int(size[0])), min(w, int(size[1])))
    if out == (h, w):
        return x
    return F.adaptive_avg_pool2d(x, out)


def pool_pair_to_smaller(a: Tensor, b: Tensor) -> Tuple[Tensor, Tensor]:
    """Pool the larger of two (B, C, H, W) maps to the smaller's size.

    RepDistiller (NST, FSP, VID) compares the heights and adaptive-average-
    pools the larger map to the smaller one's size. Here every spatial dim
    is pooled to the smaller of the two, which is the same for the square
    maps of the benchmark and never up-samples a non-square map.

    Args:
        a (Tensor): Shape (B, C_a, H_a, W_a).
        b (Tensor): Shape (B, C_b, H_b, W_b).

    Returns:
        tuple[Tensor, Tensor]: Both with spatial size
        (min(H_a, H_b), min(W_a, W_b)).
    """
    size = (min(a.shape[-2], b.shape[-2]), min(a.shape[-1], b.shape[-1]))
    return pool_to_smaller(a, size), pool_to_smaller(b, size)


def channel_normalize(x: Tensor) -> Tensor:
    """Flatten a (B, C, H, W) map and L2-normalise each channel over H*W.

    Args:
        x (Tensor): Shape (B, C, H, W).

    Returns:
        Tensor: Shape (B, C, H*W), each row of unit L2 norm (all-zero
        channels stay zero).
    """
    return F.normalize(x.flatten(2), p=2, dim=2)


def poly_kernel(a: Tensor,
                b: Tensor,
                degree: int = 2,
                coef: float = 0.) -> Tensor:
    """Batched polynomial kernel ``(a_i . b_j + coef) ** degree``.

    Args:
        a (Tensor): Shape (B, N_a, D).
        b (Tensor): Shape (B, N_b, D).
        degree (int): Degree of the kernel. Defaults to 2.
        coef (float): Constant added before the power. Defaults to 0.

    Returns:
        Tensor: Shape (B, N_a, N_b).
    """
    return (torch.bmm(a, b.transpose(1, 2)) + coef).pow(degree)


def nst_mmd(s: Tensor, t: Tensor) -> Tensor:
    """Squared MMD with the kernel (a.b)^2 between channel distributions.

    ``mean K(t, t) + mean K(s, s) - 2 mean K(s, t)``: every mean runs over
    the batch and all channel pairs (the biased estimate, diagonals
    included), as in NST (Huang & Wang, 2017) and RepDistiller.

    Args:
        s (Tensor): Channel-normalised student map, shape (B, C_s, N).
        t (Tensor): Channel-normalised teacher map, shape (B, C_t, N).

    Returns:
        Tensor: A scalar.
    """
    return (poly_kernel(t, t).mean() + poly_kernel(s, s).mean() -
            2 * poly_kernel(s, t).mean())


def fsp_matrix(a: Tensor, b: Tensor) -> Tensor:
    """The FSP ("flow of solution procedure") matrix of two maps.

    ``G[n, i, j] = (1 / HW) sum_{h,w} a[n, i, h, w] * b[n, j, h, w]``.

    Args:
        a (Tensor): Shape (B, C_a, H, W).
        b (Tensor): Shape (B, C_b, H, W), same spatial size as ``a``.

    Returns:
        Tensor: Shape (B, C_a, C_b).
    """
    a = a.flatten(2)
    b = b.flatten(2)
    return torch.bmm(a, b.transpose(1, 2)) / a.shape[-1]


def pkt_probabilities(x: Tensor, eps: float = 1e-7) -> Tensor:
    """PKT's conditional probabilities from cosine similarities.

    Rows are divided by ``norm + eps``; the cosine similarity matrix is
    mapped to [0, 1] by ``(cos + 1) / 2`` and each row is divided by its
    sum.

    Args:
        x (Tensor): Shape (B, D).
        eps (float): Added to the row norms. Defaults to 1e-7.

    Returns:
        Tensor: Shape (B, B), rows summing to 1.
    """
    x = x / (x.norm(p=2, dim=1, keepdim=True) + eps)
    sim = (x @ x.t() + 1.) / 2.
    return sim / sim.sum(dim=1, keepdim=True)


def pkt_divergence(p_s: Tensor, p_t: Tensor, eps: float = 1e-7) -> Tensor:
    """``mean(P_t * log((P_t + eps) / (P_s + eps)))`` over all B*B entries.

    Args:
        p_s (Tensor): Student probabilities, shape (B, B).
        p_t (Tensor): Teacher probabilities, shape (B, B).
        eps (float): Added inside the log. Defaults to 1e-7.

    Returns:
        Tensor: A scalar.
    """
    return (p_t * torch.log((p_t + eps) / (p_s + eps))).mean()


def sp_similarity(x: Tensor) -> Tensor:
    """Row-L2-normalised Gram matrix of flattened samples.

    Args:
        x (Tensor): Shape (B, ...); flattened to (B, D).

    Returns:
        Tensor: ``normalize(F F^T, dim=1)``, shape (B, B).
    """
    x = x.flatten(1)
    return F.normalize(x @ x.t(), p=2, dim=1)


def cc_consecutive_product(s: Tensor, t: Tensor) -> Tensor:
    """RepDistiller's correlation-congruence term.

    With ``delta = |s - t|`` (B, D): ``mean_i sum_d delta[i, d] *
    delta[i + 1, d]`` over the B - 1 consecutive pairs of the batch.

    Args:
        s (Tensor): Student embeddings, shape (B, D), B >= 2.
        t (Tensor): Teacher embeddings, shape (B, D).

    Returns:
        Tensor: A scalar.
    """
    delta = (s - t).abs()
    return (delta[:-1] * delta[1:]).sum(dim=1).mean()


def gaussian_nll(mean: Tensor, target: Tensor, var: Tensor) -> Tensor:
    """Mean Gaussian negative log-likelihood without the constant.

    ``mean(0.5 * ((mean - target) ** 2 / var + log(var)))``; ``var``
    broadcasts against ``mean``.

    Args:
        mean (Tensor): Predicted mean.
        target (Tensor): Target, same shape as ``mean``.
        var (Tensor): Predicted variance (positive), broadcastable.

    Returns:
        Tensor: A scalar.
    """
    return (0.5 * ((mean - target).pow(2) / var + torch.log(var))).mean()


def ft_factor(x: Tensor, p: float = 2.0) -> Tensor:
    """The CRD benchmark's factor code: L2-normalised ``mean_c x^p``.

    Args:
        x (Tensor): A factor map (B, C, H, W).
        p (float): Power applied before the channel mean. Defaults to 2.

    Returns:
        Tensor: (B, H*W), each row of unit L2 norm.
    """
    return F.normalize(x.pow(p).mean(dim=1).flatten(1), p=2, dim=1)
