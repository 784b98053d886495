# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus.ops.quest_fused against the unfused ops of mmkd_plus.ops.quest
(values, gradients, statistics), by autograd's gradcheck, and its errors."""
import pytest
import torch
import torch.nn.functional as F

from mmkd_plus.ops.quest import quest_kl, soft_assign
from mmkd_plus.ops.quest_fused import (CosineScores, default_position_chunk,
                                       materialize_scores, quest_kl_cosine,
                                       quest_kl_from_scores)

# B=2, 3x5 maps: N = 30 positions, chunks of 7 leave a last one of 2
B, C_S, C_T, K, H, W = 2, 6, 4, 9, 3, 5
TAU = 0.7


def _inputs(dtype, bias=True, seed=0):
    gen = torch.Generator().manual_seed(seed)

    def draw(*shape, scale=1.0):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) *
                scale).to(dtype)

    s_feature = draw(B, C_S, H, W).requires_grad_()
    weight = draw(K, C_S, 1, 1).requires_grad_()
    scale = torch.tensor(2.5, dtype=dtype, requires_grad=True)
    b = draw(K, scale=0.3).requires_grad_() if bias else None
    t_feature = draw(B, C_T, H, W).requires_grad_()
    vocab = draw(K, C_T)
    return s_feature, weight, scale, b, t_feature, vocab


def _reference(scores, t_feature, vocab):
    """The unfused loss, word agreement and closest-word probability."""
    p_t = soft_assign(t_feature.detach(), vocab, TAU).reshape(-1, K)
    log_p_s = F.log_softmax(scores, dim=1).permute(0, 2, 3, 1).reshape(-1, K)
    agree = (log_p_s.argmax(1) == p_t.argmax(1)).to(p_t.dtype).mean()
    return quest_kl(p_t, log_p_s), agree, p_t.max(1).values.mean()


def _grads(loss, tensors):
    return torch.autograd.grad(
        loss, [t for t in tensors if t is not None], retain_graph=True)


@pytest.mark.parametrize('dtype, tol', [(torch.float64, 1e-12),
                                        (torch.float32, 2e-6)])
@pytest.mark.parametrize('chunk', [7, 1, 30, 1000])
@pytest.mark.parametrize('bias', [True, False])
def test_cosine_matches_unfused_value_and_gradients(dtype, tol, chunk, bias):
    s_feature, weight, scale, b, t_feature, vocab = _inputs(dtype, bias)
    student = (s_feature, weight, scale, b)
    ref = _reference(CosineScores(*student).materialize(), t_feature, vocab)
    got = quest_kl_cosine(*student, t_feature, vocab, TAU, chunk_size=chunk)
    assert got.loss.dtype == dtype and got.loss.dim() == 0
    torch.testing.assert_close(got.loss, ref[0], rtol=tol, atol=tol)
    assert float(got.agreement) == pytest.approx(float(ref[1]))
    torch.testing.assert_close(
        got.closest_word_probability, ref[2], rtol=tol, atol=tol)
    # a weight on the loss scales the gradients (as loss_weight does)
    expected = _grads(1.7 * ref[0], student)
    for g_got, g_ref in zip(_grads(1.7 * got.loss, student), expected):
        torch.testing.assert_close(g_got, g_ref, rtol=10 * tol, atol=tol)
    # the teacher gets no gradient
    got = quest_kl_cosine(*student, t_feature, vocab, TAU, chunk_size=chunk)
    got.loss.backward()
    assert t_feature.grad is None and s_feature.grad is not None


@pytest.mark.parametrize('dtype, tol', [(torch.float64, 1e-12),
                                        (torch.float32, 2e-6)])
@pytest.mark.parametrize('chunk', [7, 4, 1, 30])
def test_scores_match_unfused_value_and_gradients(dtype, tol, chunk):
    s_feature, weight, scale, b, t_feature, vocab = _inputs(dtype)
    scores = CosineScores(s_feature, weight, scale, b).materialize()
    ref = _reference(scores, t_feature, vocab)
    got = quest_kl_from_scores(scores, t_feature, vocab, TAU, chunk)
    torch.testing.assert_close(got.loss, ref[0], rtol=tol, atol=tol)
    assert float(got.agreement) == pytest.approx(float(ref[1]))
    torch.testing.assert_close(
        got.closest_word_probability, ref[2], rtol=tol, atol=tol)
    inputs = (scores, s_feature, weight, scale, b)
    for g_got, g_ref in zip(
            _grads(0.5 * got.loss, inputs), _grads(0.5 * ref[0], inputs)):
        torch.testing.assert_close(g_got, g_ref, rtol=10 * tol, atol=tol)


def test_gradient_of_scores_is_softmax_minus_teacher_probabilities():
    _, _, _, _, t_feature, vocab = _inputs(torch.float64)
    scores = torch.randn(B, K, H, W, dtype=torch.float64, requires_grad=True)
    (grad, ) = torch.autograd.grad(
        quest_kl_from_scores(scores, t_feature, vocab, TAU, 7).loss, scores)
    p_t = soft_assign(t_feature.detach(), vocab, TAU).permute(0, 3, 1, 2)
    torch.testing.assert_close(grad,
                               (F.softmax(scores, 1) - p_t) / (B * H * W))


def test_gradcheck_of_the_fused_projection():
    s_feature, weight, scale, b, t_feature, vocab = _inputs(torch.float64)

    def fn(*student):
        return quest_kl_cosine(*student, t_feature, vocab, TAU, 7).loss

    assert torch.autograd.gradcheck(fn, (s_feature, weight, scale, b))


def test_frozen_scale_and_no_grad():
    s_feature, weight, scale, b, t_feature, vocab = _inputs(torch.float32)
    scale.requires_grad_(False)
    loss = quest_kl_cosine(s_feature, weight, scale, b, t_feature, vocab,
                           TAU).loss
    loss.backward()
    assert scale.grad is None and weight.grad is not None
    with torch.no_grad():
        value = quest_kl_cosine(s_feature, weight, scale, b, t_feature, vocab,
                                TAU).loss
    assert not value.requires_grad
    torch.testing.assert_close(value, loss.detach())


def test_half_inputs_give_float32():
    s_feature, weight, scale, b, t_feature, vocab = _inputs(torch.float32)
    got = quest_kl_cosine(s_feature.detach().half(), weight, scale, b,
                          t_feature.half(), vocab, TAU)
    assert got.loss.dtype == torch.float32
    scores = torch.randn(B, K, H, W).half().requires_grad_()
    got = quest_kl_from_scores(scores, t_feature.half(), vocab, TAU)
    assert got.loss.dtype == torch.float32
    got.loss.backward()
    assert scores.grad.dtype == torch.float16


def test_cosine_scores_shape_and_materialize():
    s_feature, weight, scale, b, _, _ = _inputs(torch.float64)
    lazy = CosineScores(s_feature, weight, scale, b)
    assert lazy.shape == (B, K, H, W)
    # by hand at one position and word
    f, w = s_feature[1, :, 2, 3], weight[4, :, 0, 0]
    expected = scale * (f @ w) / (f.norm() * w.norm()) + b[4]
    torch.testing.assert_close(lazy.materialize()[1, 4, 2, 3], expected)
    assert materialize_scores(lazy).shape == lazy.shape
    scores = torch.zeros(1, 2, 3, 4)
    assert materialize_scores(scores) is scores


def test_default_chunk_and_errors():
    assert default_position_chunk(4096) == 256
    assert default_position_chunk(10**9) == 1
    s_feature, weight, scale, b, t_feature, vocab = _inputs(torch.float32)
    student = (s_feature, weight, scale, b)
    with pytest.raises(ValueError, match='chunk_size'):
        quest_kl_cosine(*student, t_feature, vocab, TAU, chunk_size=0)
    with pytest.raises(ValueError, match='tau'):
        quest_kl_cosine(*student, t_feature, vocab, 0.0)
    with pytest.raises(ValueError, match='differ in batch or spatial size'):
        quest_kl_cosine(*student, t_feature[:, :, :2], vocab, TAU)
    with pytest.raises(ValueError, match=r'\(K, C_T\)'):
        quest_kl_cosine(*student, t_feature, vocab[:, :3], TAU)
    with pytest.raises(ValueError, match='visual words'):
        quest_kl_cosine(*student, t_feature, vocab[:5], TAU)
    with pytest.raises(ValueError, match=r'\(B, 9, H, W\)'):
        quest_kl_from_scores(torch.zeros(B, 8, H, W), t_feature, vocab, TAU)


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_far_words_keep_a_floor_probability_only(dtype):
    """At a small tau most words lie thousands of logits below the closest:
    the fused loss floors them at exp(EXP_FLOOR) relative to the maximum
    (no subnormal exp) and still equals the reference."""
    s_feature, weight, scale, b, t_feature, vocab = _inputs(dtype)
    tau = 1e-3
    student = (s_feature, weight, scale, b)
    scores = CosineScores(*student).materialize()
    p_t = soft_assign(t_feature.detach(), vocab, tau).reshape(-1, K)
    assert bool((p_t.double() < 1e-300).any())  # some words vanish
    ref = quest_kl(p_t,
                   F.log_softmax(scores, 1).permute(0, 2, 3, 1).reshape(-1, K))
    got = quest_kl_cosine(*student, t_feature, vocab, tau, chunk_size=7)
    assert bool(torch.isfinite(got.loss))
    torch.testing.assert_close(got.loss, ref)
    for g_got, g_ref in zip(_grads(got.loss, student), _grads(ref, student)):
        torch.testing.assert_close(g_got, g_ref)
