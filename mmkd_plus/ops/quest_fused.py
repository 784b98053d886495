# Copyright (c) OpenMMLab. All rights reserved.
"""QuEST's loss and its gradient, chunk by chunk, in one autograd function.

QuEST (Jain et al., "QuEST: Quantized embedding space for transferring
knowledge", ECCV 2020, https://arxiv.org/abs/1912.01540) compares, at each
of the N positions of a batch, the teacher's soft assignment to K visual
words, ``p_T = softmax(-||t - v_k||^2 / tau)``, with the student's,
``p_S = softmax(z)``, by ``KL(p_T || p_S)`` averaged over positions. Done
with ordinary tensor ops this materialises several ``(N, K)`` blocks (the
distances, ``p_T``, ``log p_S``, the KL terms, their gradients) that live
from the forward to the backward pass: at N = K = 4096 each one is 64 MB.

Here the work is split into chunks of positions. For each chunk the
forward pass computes the distances, ``log p_T``, the student scores,
``log p_S``, the KL terms and, while they are at hand, the gradient
``d loss / d z = (softmax(z) - p_T) / N`` (the gradient of
``KL(p_T || softmax(z))`` per position), which it reduces at once into the
gradients of the student's inputs. Nothing ``(N, K)`` outlives a chunk;
the backward pass only scales the stored reductions by the incoming
gradient. The teacher and the vocabulary get no gradient. Each softmax
takes one ``exp`` pass, and logits more than 80 below their row's maximum
(700 in float64) are raised to that floor first: ``exp`` of subnormal
results is 20-40 times slower on CPUs, and at QuEST's temperatures most
words are that far from a position; their probability stays negligible
(below 1.8e-35).

Two entry points:

* :func:`quest_kl_cosine` takes the inputs of the student's cosine
  projection (:class:`~mmkd_plus.models.QuESTConnector`),
  ``z = gamma * <f / ||f||, w / ||w||> + b``, and fuses it too: the stored
  reductions are the gradients of the normalised features (``N x C``), of
  the normalised words (``K x C``), of gamma and of the bias, so the
  ``(N, K)`` scores are never kept.
* :func:`quest_kl_from_scores` takes the scores ``z`` themselves (any
  predictor); it stores ``d loss / d z``, one ``(N, K)`` block, which the
  predictor's backward needs whole.

Both return the loss and two statistics of the batch, computed on the way:
the word agreement (fraction of positions where ``argmax p_S`` is
``argmax p_T``) and the mean closest-word probability ``max_k p_T``.
"""
from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from .kd_functional import compute_dtype

__all__ = [
    'CosineScores', 'QuESTKLResult', 'default_position_chunk',
    'materialize_scores', 'quest_kl_cosine', 'quest_kl_from_scores'
]

#: Bytes of one ``(positions, K)`` block of a chunk (a chunk holds about
#: four such blocks at a time).
CHUNK_BLOCK_BYTES = 4 * 1024**2
#: Lowest logit, relative to its row's maximum, given to ``exp``: above the
#: subnormal range (float32's starts below exp(-87.3), float64's below
#: exp(-708)).
EXP_FLOOR = {
    torch.float32: -80.0,
    torch.float64: -700.0,
}


class CosineScores(NamedTuple):
    """The student's cosine scores, not computed yet.

    ``z_k(u) = scale * <f(u) / ||f(u)||, w_k / ||w_k||> + b_k``: what
    :class:`~mmkd_plus.models.QuESTConnector` hands a fused
    :class:`~mmkd_plus.models.QuESTLoss` (its ``lazy`` option) so that the
    loss computes the scores chunk by chunk instead of receiving them whole.

    Attributes:
        feature (Tensor): Student map, ``(B, C, H, W)``.
        weight (Tensor): Predictor words, ``(K, C, 1, 1)`` or ``(K, C)``.
        scale (Tensor): gamma, a one-element tensor.
        bias (Tensor, optional): ``(K,)`` per-word bias, or None.
    """

    feature: Tensor
    weight: Tensor
    scale: Tensor
    bias: Optional[Tensor] = None

    @property
    def shape(self) -> torch.Size:
        """The scores' shape, ``(B, K, H, W)``."""
        b, _, h, w = self.feature.shape
        return torch.Size((b, self.weight.shape[0], h, w))

    def materialize(self) -> Tensor:
        """The ``(B, K, H, W)`` scores, as a 1x1 convolution (the features
        are cast to the weight's dtype, so fp16 features meet fp32 weights
        under AMP)."""
        weight = self.weight.reshape(self.weight.shape[0], -1, 1, 1)
        feature = F.normalize(self.feature.to(weight.dtype), dim=1)
        weight = F.normalize(weight, dim=1) * self.scale
        return F.conv2d(feature, weight, bias=self.bias)


def materialize_scores(scores) -> Tensor:
    """The ``(B, K, H, W)`` scores of a tensor or a :class:`CosineScores`."""
    if isinstance(scores, CosineScores):
        return scores.materialize()
    return scores


class QuESTKLResult(NamedTuple):
    """What the fused QuEST functions return.

    Attributes:
        loss (Tensor): ``(1/N) sum_u KL(p_T(.|u) || p_S(.|u))``, a scalar in
            the compute dtype (float32, or float64 for float64 inputs).
        agreement (Tensor): Fraction of positions where the student's and
            the teacher's most probable words are the same (no gradient).
        closest_word_probability (Tensor): Mean over positions of
            ``max_k p_T`` (no gradient).
    """

    loss: Tensor
    agreement: Tensor
    closest_word_probability: Tensor


def default_position_chunk(num_words: int) -> int:
    """Positions per chunk so that one ``(positions, K)`` fp32 block stays
    within :data:`CHUNK_BLOCK_BYTES` (256 positions at K = 4096)."""
    return max(1, CHUNK_BLOCK_BYTES // (4 * int(num_words)))


def _check_chunk(chunk_size: Optional[int], num_words: int) -> int:
    if chunk_size is None:
        return default_position_chunk(num_words)
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(
            f'chunk_size must be a positive integer, got {chunk_size!r}.')
    return int(chunk_size)


def _flat_positions(x: Tensor) -> Tensor:
    """``(B, C, H, W)`` as ``(B*H*W, C)`` rows, in ``(b, h, w)`` order."""
    return x.permute(0, 2, 3, 1).reshape(-1, x.shape[1])


class _Teacher(NamedTuple):
    """The teacher's side: ``(N, C_T)`` rows and the vocabulary terms of
    ``-||t - v_k||^2 / tau = (2 t.v_k - ||v_k||^2) / tau - ||t||^2 / tau``
    (the last is the same for every word and cancels in the softmax)."""

    rows: Tensor
    vocab: Tensor
    word_bias: Tensor  # -||v_k||^2 / tau
    alpha: float  # 2 / tau

    @classmethod
    def build(cls, rows: Tensor, vocab: Tensor, tau: float) -> '_Teacher':
        return cls(rows, vocab, vocab.pow(2).sum(dim=1).div_(-tau), 2 / tau)

    def logits(self, start: int, stop: int) -> Tensor:
        """``(stop - start, K)`` logits of ``p_T`` for positions in range."""
        return torch.addmm(
            self.word_bias,
            self.rows[start:stop],
            self.vocab.t(),
            alpha=self.alpha)


def _log_softmax_(x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Row-wise log-softmax of ``x``, in place, with one ``exp``.

    Logits more than ``-EXP_FLOOR`` below their row's maximum are raised to
    it, so that ``exp`` never produces subnormal numbers (its slow path on
    CPUs, 20-40 times slower): such words keep a probability of
    ``exp(EXP_FLOOR)`` (1.8e-35 in float32) instead of less.

    Returns:
        tuple: ``log p`` (``x`` itself), ``p``, the argmax of every row and
        ``max p`` of every row.
    """
    top, word = x.max(dim=1, keepdim=True)
    x.sub_(top).clamp_min_(EXP_FLOOR[x.dtype])
    p = x.exp()
    total = p.sum(dim=1, keepdim=True)
    p.div_(total)
    x.sub_(total.log())
    return x, p, word.squeeze(1), total.reciprocal_().squeeze(1)


def _chunk_kl(teacher: _Teacher, start: int, z: Tensor, num_positions: int,
              want_grad: bool) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """One chunk: KL sum, agreement count, closest-word sum and, if
    ``want_grad``, ``(softmax(z) - p_T) / N``.

    ``z`` (the chunk's ``(rows, K)`` scores, owned by the caller) is
    overwritten with ``log p_S``.
    """
    log_p_t, p_t, t_word, t_top = _log_softmax_(
        teacher.logits(start, start + z.shape[0]))
    log_p_s, p_s, s_word, _ = _log_softmax_(z)
    agree = (s_word == t_word).sum()
    # sum_k p_T (log p_T - log p_S)
    kl = log_p_t.sub_(log_p_s).mul_(p_t).sum()
    grad = p_s.sub_(p_t).div_(num_positions) if want_grad else None
    return kl, agree, t_top.sum(), grad


def _outputs(ctx, kl: Tensor, agree: Tensor, closest: Tensor,
             n: int) -> Tuple[Tensor, Tensor, Tensor]:
    """The mean KL and the two statistics (marked non-differentiable)."""
    loss = kl / n
    stats = (agree.to(loss.dtype) / n, closest.to(loss.dtype) / n)
    ctx.mark_non_differentiable(*stats)
    return (loss, ) + stats


class _CosineQuESTKL(torch.autograd.Function):
    """KL of QuEST with the student's cosine projection fused in.

    Inputs: ``s_rows`` (N, C) unit student vectors, ``words`` (K, C) unit
    predictor words, ``scale`` (a 0-dim gamma), ``bias`` (K,) or None,
    ``t_rows`` (N, C_T) teacher vectors, ``vocab`` (K, C_T), then the
    floats/ints ``tau`` and ``chunk``. All tensors already in one compute
    dtype.
    """

    @staticmethod
    def forward(ctx, s_rows, words, scale, bias, t_rows, vocab, tau, chunk):
        n = s_rows.shape[0]
        grads = any(ctx.needs_input_grad[:4])
        d_rows = torch.empty_like(s_rows) if ctx.needs_input_grad[0] \
            else None
        d_words = torch.zeros_like(words) if grads else None
        d_scale = torch.zeros_like(scale) if grads else None
        d_bias = torch.zeros_like(bias) if grads and bias is not None \
            else None
        teacher = _Teacher.build(t_rows, vocab, tau)
        scaled_words = words * scale
        kl = agree = closest = 0
        for i in range(0, n, chunk):
            rows = s_rows[i:i + chunk]
            z = rows @ scaled_words.t() if bias is None else torch.addmm(
                bias, rows, scaled_words.t())
            part = _chunk_kl(teacher, i, z, n, grads)
            kl, agree, closest = kl + part[0], agree + part[1], \
                closest + part[2]
            if not grads:
                continue
            g = part[3]  # d loss / d z of this chunk, (rows, K)
            g_words = g @ words  # (rows, C) = d loss / d rows, over gamma
            d_scale += (g_words * rows).sum()
            if d_rows is not None:
                torch.mul(g_words, scale, out=d_rows[i:i + chunk])
            d_words.addmm_(g.t(), rows, alpha=float(scale))
            if d_bias is not None:
                d_bias += g.sum(dim=0)
        ctx.save_for_backward(d_rows, d_words, d_scale, d_bias)
        return _outputs(ctx, kl, agree, closest, n)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss, _grad_agree, _grad_closest):
        saved = ctx.saved_tensors
        grads = [
            None if (g is None or not need) else g * grad_loss
            for g, need in zip(saved, ctx.needs_input_grad[:4])
        ]
        return tuple(grads) + (None, ) * 4


class _ScoresQuESTKL(torch.autograd.Function):
    """KL of QuEST given the student's ``(B, K, H, W)`` scores."""

    @staticmethod
    def forward(ctx, scores, t_rows, vocab, tau, chunk, dtype):
        b, k, h, w = scores.shape
        n, hw = b * h * w, h * w
        grads = ctx.needs_input_grad[0]
        # (B, H*W, K) views of the scores and of their gradient
        z_view = scores.movedim(1, -1).flatten(1, 2)
        d_scores = torch.empty(
            scores.shape, dtype=dtype, device=scores.device) if grads else None
        teacher = _Teacher.build(t_rows, vocab, tau)
        kl = agree = closest = 0
        for i in range(0, n, chunk):
            pos = torch.arange(i, min(i + chunk, n), device=scores.device)
            index = (pos // hw, pos % hw)
            z = z_view[index].to(dtype)  # a copy of the chunk's rows
            part = _chunk_kl(teacher, i, z, n, grads)
            kl, agree, closest = kl + part[0], agree + part[1], \
                closest + part[2]
            if grads:
                d_view = d_scores.movedim(1, -1).flatten(1, 2)
                d_view.index_put_(index, part[3])
        ctx.save_for_backward(d_scores)
        ctx.scores_dtype = scores.dtype
        return _outputs(ctx, kl, agree, closest, n)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss, _grad_agree, _grad_closest):
        (d_scores, ) = ctx.saved_tensors
        grad = None
        if d_scores is not None:
            grad = d_scores.mul_(grad_loss).to(ctx.scores_dtype)
        return grad, None, None, None, None, None


def _teacher_rows(t_feature: Tensor, vocab: Tensor, positions: Tuple[int, ...],
                  dtype: torch.dtype) -> Tensor:
    if vocab.dim() != 2 or t_feature.dim() != 4 or \
            t_feature.shape[1] != vocab.shape[1]:
        raise ValueError(
            'The teacher map must be (B, C_T, H, W) and the vocabulary '
            f'(K, C_T); got {tuple(t_feature.shape)} and '
            f'{tuple(vocab.shape)}.')
    if (t_feature.shape[0], ) + tuple(t_feature.shape[2:]) != positions:
        raise ValueError(
            f'The teacher map {tuple(t_feature.shape)} and the student '
            f'(B, H, W) = {positions} differ in batch or spatial size.')
    return _flat_positions(t_feature.detach()).to(dtype)


def _check_tau(tau: float) -> float:
    if not isinstance(tau, (int, float)) or not tau > 0:
        raise ValueError(f'tau must be a positive number, got {tau!r}.')
    return float(tau)


def quest_kl_cosine(s_feature: Tensor,
                    weight: Tensor,
                    scale: Tensor,
                    bias: Optional[Tensor],
                    t_feature: Tensor,
                    vocab: Tensor,
                    tau: float,
                    chunk_size: Optional[int] = None) -> QuESTKLResult:
    """QuEST's KL with the student's cosine projection fused in.

    The student scores ``z_k(u) = scale * <f(u)/||f(u)||, w_k/||w_k||> +
    b_k`` (QuEST's cosine 1x1 convolution) are computed chunk by chunk of
    positions and never kept; gradients flow to ``s_feature``, ``weight``,
    ``scale`` and ``bias`` (those that require them), not to the teacher
    or the vocabulary. Equal to ``quest_kl(soft_assign(t_feature, vocab,
    tau), log_softmax(z))`` (:mod:`mmkd_plus.ops.quest`), in float32 at
    least (float64 stays float64; fp16/bf16 inputs are computed in
    float32, also under autocast).

    Args:
        s_feature (Tensor): Student map, ``(B, C, H, W)``.
        weight (Tensor): Predictor words, ``(K, C)`` or ``(K, C, 1, 1)``.
        scale (Tensor): gamma, a one-element tensor.
        bias (Tensor, optional): ``(K,)`` per-word bias, or None.
        t_feature (Tensor): Teacher map, ``(B, C_T, H, W)`` (pooled already
            to the student's size).
        vocab (Tensor): ``(K, C_T)`` visual words.
        tau (float): Temperature of the teacher assignment.
        chunk_size (int, optional): Positions per chunk. Defaults to
            :func:`default_position_chunk`.

    Returns:
        QuESTKLResult: The loss, the word agreement and the mean
        closest-word probability.
    """
    tau = _check_tau(tau)
    weight = weight.reshape(weight.shape[0], -1)
    if s_feature.dim() != 4 or s_feature.shape[1] != weight.shape[1]:
        raise ValueError(
            f'The student map must be (B, {weight.shape[1]}, H, W) for '
            f'words of width {weight.shape[1]}; got '
            f'{tuple(s_feature.shape)}.')
    if weight.shape[0] != vocab.shape[0]:
        raise ValueError(f'{weight.shape[0]} predictor words but '
                         f'{vocab.shape[0]} visual words.')
    if s_feature.shape[0] * s_feature.shape[2] * s_feature.shape[3] == 0:
        raise ValueError('No positions to average over (empty map).')
    dtype = compute_dtype(s_feature.dtype, weight.dtype, t_feature.dtype,
                          vocab.dtype)
    with torch.autocast(s_feature.device.type, enabled=False):
        rows = F.normalize(_flat_positions(s_feature).to(dtype), dim=1)
        words = F.normalize(weight.to(dtype), dim=1)
        t_rows = _teacher_rows(t_feature, vocab, (s_feature.shape[0], ) +
                               tuple(s_feature.shape[2:]), dtype)
        loss, agree, closest = _CosineQuESTKL.apply(
            rows, words,
            scale.to(dtype).reshape(()),
            None if bias is None else bias.to(dtype), t_rows,
            vocab.detach().to(dtype), tau,
            _check_chunk(chunk_size, vocab.shape[0]))
    return QuESTKLResult(loss, agree, closest)


def quest_kl_from_scores(scores: Tensor,
                         t_feature: Tensor,
                         vocab: Tensor,
                         tau: float,
                         chunk_size: Optional[int] = None) -> QuESTKLResult:
    """QuEST's KL from the student's scores, chunk by chunk.

    Equal to ``quest_kl(soft_assign(t_feature, vocab, tau),
    log_softmax(scores))`` (:mod:`mmkd_plus.ops.quest`); the teacher's
    distances and probabilities and the student's log-probabilities exist
    one chunk at a time. The gradient with respect to ``scores`` (one
    ``(B, K, H, W)`` block, in the compute dtype) is computed in the
    forward pass and kept for the backward pass.

    Args:
        scores (Tensor): Student scores, ``(B, K, H, W)``.
        t_feature (Tensor): Teacher map, ``(B, C_T, H, W)``.
        vocab (Tensor): ``(K, C_T)`` visual words.
        tau (float): Temperature of the teacher assignment.
        chunk_size (int, optional): Positions per chunk (need not divide
            ``B*H*W``). Defaults to :func:`default_position_chunk`.

    Returns:
        QuESTKLResult: The loss, the word agreement and the mean
        closest-word probability.
    """
    tau = _check_tau(tau)
    if scores.dim() != 4 or scores.shape[1] != vocab.shape[0]:
        raise ValueError(f'The student scores must be (B, {vocab.shape[0]}, '
                         f'H, W); got {tuple(scores.shape)}.')
    if scores.numel() == 0:
        raise ValueError('No positions to average over (empty scores).')
    dtype = compute_dtype(scores.dtype, t_feature.dtype, vocab.dtype)
    with torch.autocast(scores.device.type, enabled=False):
        t_rows = _teacher_rows(t_feature, vocab,
                               (scores.shape[0], ) + tuple(scores.shape[2:]),
                               dtype)
        loss, agree, closest = _ScoresQuESTKL.apply(
            scores, t_rows,
            vocab.detach().to(dtype), tau,
            _check_chunk(chunk_size, vocab.shape[0]), dtype)
    return QuESTKLResult(loss, agree, closest)
