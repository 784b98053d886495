# Copyright (c) OpenMMLab. All rights reserved.
"""WCoRDLoss: 'none' is the CRD benchmark's loss, the OT term and its
gradient, the Lipschitz constraints, the logged terms, state dict, errors."""
import math

import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample
from mmrazor.models.architectures.connectors import CRDConnector
from torch.nn.utils import parametrize

from mmkd_plus.models.losses.sync_crd_loss import SyncCRDLoss
from mmkd_plus.models.losses.wcord_loss import TERM_KEYS, WCoRDLoss
from mmkd_plus.ops.optimal_transport import transport_loss
from mmkd_plus.registry import MODELS

NUM_DATA, S_CH, T_CH, DIM, NEG = 40, 12, 20, 16, 6


def _samples(idx, contrast=None):
    out = []
    for i, k in enumerate(idx):
        s = DataSample(metainfo=dict(sample_idx=int(k)))
        if contrast is not None:
            s.set_field(torch.as_tensor(contrast[i]), 'contrast_idx')
        out.append(s)
    return out


def _batch(seed=0, batch=8):
    g = torch.Generator().manual_seed(seed)
    f_s = torch.randn(batch, S_CH, generator=g)
    f_t = torch.randn(batch, T_CH, generator=g)
    idx = torch.randperm(NUM_DATA, generator=g)[:batch].tolist()
    contrast = [[k] + [(k + 5 * j) % NUM_DATA for j in range(1, NEG + 1)]
                for k in idx]
    return f_s, f_t, _samples(idx, contrast)


def _wcord(**kwargs):
    cfg = dict(
        num_data=NUM_DATA,
        s_channels=S_CH,
        t_channels=T_CH,
        feat_dim=DIM,
        num_negatives=NEG)
    cfg.update(kwargs)
    return WCoRDLoss(**cfg)


def test_registered_with_the_papers_defaults():
    loss = MODELS.build(
        dict(type='WCoRDLoss', num_data=10, s_channels=64, t_channels=256))
    assert isinstance(loss, WCoRDLoss) and isinstance(loss, SyncCRDLoss)
    assert (loss.gckt_weight, loss.lckt_weight, loss.loss_weight) == (0.8, 0.1,
                                                                      1.0)
    assert loss.lipschitz == 'gradient_penalty' and loss.gp_weight == 10.0
    for embed in (loss.embed_s, loss.embed_t):
        assert not parametrize.is_parametrized(embed.linear)
    assert loss.ot_cost == 'cosine' and loss.ot_kwargs == dict(
        solver='sinkhorn', epsilon=0.05, num_iters=50, beta=1.0)
    assert loss.num_negatives == 16384 and loss.memory_type == 'bank'
    assert loss.embed_s.linear.in_features == 64
    assert loss.embed_t.linear.in_features == 256


class _BenchmarkCRD:
    """The CRD benchmark's loss and memory, transcribed for this test.

    After ``crd/criterion.py`` (``CRDLoss``, ``ContrastLoss``, ``Embed``)
    and ``crd/memory.py`` (``ContrastMemory``) of HobbitLong/RepDistiller
    (Tian et al., "Contrastive Representation Distillation", ICLR 2020),
    read and rewritten as plain tensor code, independent of mmkd_plus:
    embeddings ``normalize(W f + b)``; ``memory_v1`` (student rows) and
    ``memory_v2`` (teacher rows); the student anchor scored against
    ``memory_v2`` and the teacher anchor against ``memory_v1``,
    ``exp(<row, anchor> / T) / Z`` with each ``Z`` set once, on the first
    batch, to ``mean(exp) * n_data``; ``ContrastLoss`` (Eq. 18 of the
    paper, noise ``m * Pn`` with ``Pn = 1 / n_data``, eps in the
    denominators) on both sides, summed; then the rows of the batch's
    samples ``normalize(momentum * row + (1 - momentum) * embedding)``.
    The distillation weight beta = 0.8 of the benchmark's CRD runs is
    applied by the caller.
    """

    def __init__(self, params, memory_v1, memory_v2, n_data):
        self.params = [p.detach().clone().requires_grad_() for p in params]
        self.memory_v1 = memory_v1.detach().clone()
        self.memory_v2 = memory_v2.detach().clone()
        self.n_data = n_data
        self.nce_t = 0.07  # the benchmark's defaults
        self.nce_m = 0.5
        self.eps = 1e-7
        self.z_v1 = self.z_v2 = None

    @staticmethod
    def _embed(x, weight, bias):
        out = torch.addmm(bias, x, weight.t())
        return out / out.pow(2).sum(1, keepdim=True).pow(0.5)

    def _contrast_loss(self, x):
        bsz, m = x.shape[0], x.shape[1] - 1
        noise = m * (1.0 / self.n_data)
        log_d1 = x[:, 0].log() - (x[:, 0] + noise + self.eps).log()
        log_d0 = math.log(noise) - (x[:, 1:] + noise + self.eps).log()
        return -(log_d1.sum() + log_d0.sum()) / bsz

    def __call__(self, f_s, f_t, y, idx):
        w_s, b_s, w_t, b_t = self.params
        v1 = self._embed(f_s, w_s, b_s)
        v2 = self._embed(f_t, w_t, b_t)
        out_v1 = torch.exp(
            torch.einsum('bkd,bd->bk', self.memory_v2[idx], v1) / self.nce_t)
        out_v2 = torch.exp(
            torch.einsum('bkd,bd->bk', self.memory_v1[idx], v2) / self.nce_t)
        if self.z_v1 is None:
            self.z_v1 = out_v1.detach().mean().item() * self.n_data
            self.z_v2 = out_v2.detach().mean().item() * self.n_data
        loss = self._contrast_loss(out_v1 / self.z_v1) + \
            self._contrast_loss(out_v2 / self.z_v2)
        with torch.no_grad():
            for memory, v in ((self.memory_v1, v1), (self.memory_v2, v2)):
                pos = memory[y] * self.nce_m + v * (1 - self.nce_m)
                memory[y] = pos / pos.pow(2).sum(1, keepdim=True).pow(0.5)
        return loss


def _benchmark_of(loss):
    """A :class:`_BenchmarkCRD` in the state of ``loss`` (embeddings and
    memory)."""
    params = [
        loss.embed_s.linear.weight, loss.embed_s.linear.bias,
        loss.embed_t.linear.weight, loss.embed_t.linear.bias
    ]
    return _BenchmarkCRD(params, loss.memory.memory_s, loss.memory.memory_t,
                         NUM_DATA)


def _contrast(samples):
    return torch.stack([s.contrast_idx for s in samples]).long()


def _sample_idx(samples):
    return torch.tensor([s.sample_idx for s in samples])


def test_none_without_lckt_is_the_crd_benchmarks_loss_and_memory():
    """``lipschitz='none'``, ``lckt_weight=0``: 0.8 x the benchmark's CRD
    (an independent transcription of RepDistiller's loss and memory) over
    five SGD steps in float64: loss, gradients to the features and the
    embeddings, the memory after each update (the later steps read rows
    the earlier ones wrote)."""
    torch.manual_seed(0)
    wcord = _wcord(lipschitz='none', lckt_weight=0.0).double()
    ref = _benchmark_of(wcord)
    ours_opt = torch.optim.SGD(wcord.parameters(), lr=0.5)
    ref_opt = torch.optim.SGD(ref.params, lr=0.5)
    for step in range(5):
        f_s, f_t, samples = _batch(step)
        a_s, a_t = (f.double().requires_grad_() for f in (f_s, f_t))
        b_s, b_t = (f.double().requires_grad_() for f in (f_s, f_t))
        ours_opt.zero_grad()
        ref_opt.zero_grad()
        ours = wcord(a_s, a_t, samples)
        expected = 0.8 * ref(b_s, b_t, _sample_idx(samples),
                             _contrast(samples))
        assert ours.item() == pytest.approx(expected.item(), rel=1e-12)
        ours.backward()
        expected.backward()
        for got, want in ((a_s.grad, b_s.grad), (a_t.grad, b_t.grad)):
            torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
        ours_params = [
            wcord.embed_s.linear.weight, wcord.embed_s.linear.bias,
            wcord.embed_t.linear.weight, wcord.embed_t.linear.bias
        ]
        for got, want in zip(ours_params, ref.params):
            torch.testing.assert_close(
                got.grad, want.grad, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(
            wcord.memory.memory_s, ref.memory_v1, rtol=0, atol=1e-12)
        torch.testing.assert_close(
            wcord.memory.memory_t, ref.memory_v2, rtol=0, atol=1e-12)
        ours_opt.step()
        ref_opt.step()
    assert wcord.memory.z_s.item() == pytest.approx(ref.z_v1, rel=1e-12)
    assert wcord.memory.z_t.item() == pytest.approx(ref.z_v2, rel=1e-12)
    # the banks moved: rows of every step's samples are unit vectors
    updated = torch.cat([_sample_idx(_batch(k)[2]) for k in range(5)])
    norms = wcord.memory.memory_s[updated].norm(dim=1)
    torch.testing.assert_close(norms, torch.ones_like(norms))

    # with the OT term on, the GCKT term is still the benchmark's CRD
    torch.manual_seed(1)
    full = _wcord(lipschitz='none').double()
    ref = _benchmark_of(full)
    for step in range(2):
        f_s, f_t, samples = _batch(10 + step)
        terms = full.terms(f_s.double(), f_t.double(), samples)
        expected = 0.8 * ref(f_s.double(), f_t.double(), _sample_idx(samples),
                             _contrast(samples))
        assert terms['gckt'].item() == pytest.approx(
            expected.item(), rel=1e-12)
        assert terms['lckt'].item() > 0 and 'gp' not in terms


def test_none_with_the_queue_equals_sync_crd_loss():
    """The queue memory (ours, not the benchmark's): ``'none'`` without
    LCKT is :class:`SyncCRDLoss` with the queue on the same embeddings."""
    torch.manual_seed(0)
    kwargs = dict(memory='queue', queue_size=16)
    wcord = _wcord(lipschitz='none', lckt_weight=0.0, **kwargs)
    crd = SyncCRDLoss(
        num_data=NUM_DATA,
        feat_dim=DIM,
        num_negatives=NEG,
        loss_weight=0.8,
        **kwargs)
    crd.memory.load_state_dict(wcord.memory.state_dict())
    crd_s = CRDConnector(dim_in=S_CH, dim_out=DIM)
    crd_t = CRDConnector(dim_in=T_CH, dim_out=DIM)
    crd_s.load_state_dict(wcord.embed_s.state_dict())
    crd_t.load_state_dict(wcord.embed_t.state_dict())
    for step in range(3):
        f_s, f_t, samples = _batch(step)
        a_s = f_s.clone().requires_grad_()
        b_s = f_s.clone().requires_grad_()
        ours = wcord(a_s, f_t, samples)
        ref = crd(crd_s(b_s), crd_t(f_t), samples)
        assert torch.equal(ours, ref), step
        ours.backward()
        ref.backward()
        assert torch.equal(a_s.grad, b_s.grad)
        for key, value in crd.memory.state_dict().items():
            assert torch.equal(wcord.memory.state_dict()[key], value), key
    assert torch.equal(wcord.embed_t.linear.weight.grad,
                       crd_t.linear.weight.grad)


def test_lckt_term_and_its_gradient_reach_the_student_only():
    torch.manual_seed(0)
    loss = _wcord(gckt_weight=0.0, lckt_weight=0.1, loss_weight=2.0)
    loss.eval()  # no gradient penalty: the LCKT term alone
    f_s, f_t, samples = _batch(1)
    f_s.requires_grad_(True)
    f_t.requires_grad_(True)
    terms = loss.terms(f_s, f_t, samples)
    expected = 2.0 * 0.1 * transport_loss(
        loss.embed_t(f_t).detach(), loss.embed_s(f_s))
    assert terms['lckt'].item() == pytest.approx(expected.item(), rel=1e-6)
    assert 0 < terms['lckt'].item() / 0.2 <= 2  # a mean cosine cost
    assert terms['gckt'].item() == 0.0
    sum(terms.values()).backward()
    assert f_s.grad.abs().sum() > 0
    assert loss.embed_s.linear.weight.grad.abs().sum() > 0
    # the teacher side is held: no gradient to its features or embedding
    assert f_t.grad is None or f_t.grad.abs().sum() == 0
    grad_t = loss.embed_t.linear.weight.grad
    assert grad_t is None or grad_t.abs().sum() == 0


def test_spectral_norm_keeps_the_embedding_layers_at_spectral_norm_1():
    """What ``'spectral_norm'`` does hold: after 30 SGD steps the two
    embedding layers' weight matrices have spectral norm 1 (the free
    ones of ``'none'`` grow past 1.5). A property of the linear maps, not
    of the critic: see the next test."""
    torch.manual_seed(0)
    constrained = _wcord(lipschitz='spectral_norm')
    free = _wcord(lipschitz='none')
    for loss in (constrained, free):
        opt = torch.optim.SGD(loss.parameters(), lr=0.5)
        for step in range(30):
            f_s, f_t, samples = _batch(step)
            opt.zero_grad()
            loss(f_s, f_t, samples).backward()
            opt.step()
    norms = {}
    for name, loss in (('sn', constrained), ('free', free)):
        loss.eval()
        norms[name] = [
            torch.linalg.matrix_norm(embed.linear.weight.detach(), 2).item()
            for embed in (loss.embed_s, loss.embed_t)
        ]
    assert all(n <= 1 + 1e-2 for n in norms['sn']), norms
    assert all(n > 1.5 for n in norms['free']), norms


def test_spectral_norm_does_not_bound_the_l2_normalised_critic():
    """Why ``'spectral_norm'`` is not the default: behind the
    L2-normalisation, dividing a bias-free layer by its spectral norm
    leaves the critic unchanged, and the critic's input gradient grows
    without bound as the features shrink (it scales with ``1 / |f|``)."""
    torch.manual_seed(0)
    sn = _wcord(lipschitz='spectral_norm').eval()
    free = _wcord(lipschitz='none').eval()
    pairs = ((sn.embed_s, free.embed_s), (sn.embed_t, free.embed_t))
    for sn_embed, free_embed in pairs:
        weight = torch.randn(DIM, sn_embed.linear.in_features) * 3
        sn_linear = sn_embed.linear
        sn_linear.parametrizations.weight.original.data.copy_(weight)
        sn_linear.bias.data.zero_()
        free_embed.linear.weight.data.copy_(weight)
        free_embed.linear.bias.data.zero_()
    f_s, f_t, _ = _batch(3)
    with torch.no_grad():  # power iterations (training mode) to converge
        for _ in range(30):
            sn.embed_s.train()(f_s)
            sn.embed_t.train()(f_t)
    sn.eval()
    # the layers' weights are the free ones over their spectral norms
    for sn_embed, free_embed in pairs:
        sigma = torch.linalg.matrix_norm(free_embed.linear.weight, 2)
        assert sigma.item() > 5
        torch.testing.assert_close(sn_embed.linear.weight,
                                   free_embed.linear.weight / sigma)
    torch.testing.assert_close(
        sn.critic(f_t, f_s), free.critic(f_t, f_s), rtol=1e-5, atol=1e-5)

    def grad_norm(scale):
        t = (f_t * scale).requires_grad_()
        s = (f_s * scale).requires_grad_()
        grad_t, grad_s = torch.autograd.grad(sn.critic(t, s).sum(), (t, s))
        return torch.cat([grad_t, grad_s], 1).norm(dim=1)

    # g is scale-invariant in each input: its gradient is 1 / scale times
    torch.testing.assert_close(
        grad_norm(0.01), grad_norm(1.0) * 100, rtol=1e-3, atol=0)
    assert grad_norm(0.01).min().item() > 10


def test_gradient_penalty_by_hand_and_it_trains_the_critic_only():
    loss = WCoRDLoss(
        num_data=4,
        s_channels=2,
        t_channels=2,
        feat_dim=2,
        num_negatives=2,
        temperature=1.0,
        lipschitz='gradient_penalty')
    for embed in (loss.embed_s, loss.embed_t):
        embed.linear.weight.data.copy_(torch.eye(2))
        embed.linear.bias.data.zero_()
    # one pair, t = (1, 0), s = (0, 2): g = cos = 0,
    # grad_t = (I - n_t n_t^T) n_s / |t| = (0, 1),
    # grad_s = (I - n_s n_s^T) n_t / |s| = (0.5, 0)
    t = torch.tensor([[1.0, 0.0]])
    s = torch.tensor([[0.0, 2.0]], requires_grad=True)
    gp = loss.gradient_penalty(t, s)
    assert gp.item() == pytest.approx((math.sqrt(1.25) - 1)**2, rel=1e-6)
    # tau = 0.5 doubles the gradient
    loss.temperature = 0.5
    gp = loss.gradient_penalty(t, s)
    assert gp.item() == pytest.approx((math.sqrt(5) - 1)**2, rel=1e-6)
    # interpolation: two pairs, perm swaps the students, alpha = (1, 0):
    # pair 0 is (t0, s0) and pair 1 is (t1, s0)
    t2 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    s2 = torch.tensor([[0.0, 2.0], [5.0, 5.0]])
    gp2 = loss.gradient_penalty(
        t2, s2, alpha=torch.tensor([1.0, 0.0]), perm=torch.tensor([1, 0]))
    # pair 1: t = (0, 1), s = (0, 2): cos = 1, both gradients vanish
    assert gp2.item() == pytest.approx(
        ((math.sqrt(5) - 1)**2 + 1) / 2, rel=1e-6)
    gp.backward()
    assert s.grad is None  # detached features: only the critic learns
    assert loss.embed_s.linear.weight.grad.abs().sum() > 0
    # in the loss: a 'gp' term in training mode, none in eval mode
    torch.manual_seed(0)
    loss = _wcord(lipschitz='gradient_penalty', gp_weight=3.0)
    f_s, f_t, samples = _batch(0)
    assert loss.terms(f_s, f_t, samples)['gp'].item() > 0
    loss.eval()
    assert 'gp' not in loss.terms(f_s, f_t, samples)


def test_terms_are_logged_and_sum_to_the_loss():
    torch.manual_seed(0)
    loss = _wcord(lipschitz='gradient_penalty')
    f_s, f_t, samples = _batch(0)
    hub = MessageHub.get_current_instance()
    total = loss(f_s, f_t, samples)
    logged = [hub.get_scalar(TERM_KEYS[k]).current() for k in TERM_KEYS]
    assert sum(logged) == pytest.approx(total.item(), rel=1e-5)
    assert all(v > 0 for v in logged)


# the terms that fall over the 150 steps below, per constraint. Under the
# gradient penalty the critic's embeddings are held nearly flat around the
# data (the critic's slope is 1 where CRD's is free), so the OT cost between
# them barely moves (measured 0.0694 -> 0.0682 here, 0.0596 -> 0.0473 with
# spectral norm): LCKT's fall is checked where the critic is unconstrained
FALLING = {
    'gradient_penalty': ('gckt', 'gp'),
    'spectral_norm': ('gckt', 'lckt'),
    'none': ('gckt', 'lckt'),
}


@pytest.mark.parametrize('lipschitz', list(FALLING))
def test_terms_fall_when_a_student_learns(lipschitz):
    """A linear student of a fixed linear teacher on random inputs: the
    logged GCKT and LCKT (and the gradient penalty) fall by more than 10 %
    over 150 steps (first 20 against last 20)."""
    torch.manual_seed(0)
    loss = _wcord(num_negatives=NEG, lipschitz=lipschitz)
    student = torch.nn.Linear(8, S_CH)
    teacher = torch.nn.Linear(8, T_CH).requires_grad_(False)
    inputs = torch.randn(NUM_DATA, 8)
    opt = torch.optim.SGD(
        list(loss.parameters()) + list(student.parameters()), lr=0.2)
    hub = MessageHub.get_current_instance()
    history = {key: [] for key in FALLING[lipschitz]}
    for step in range(150):
        idx = torch.randperm(NUM_DATA)[:16]
        contrast = [[k] + torch.randint(0, NUM_DATA, (NEG, )).tolist()
                    for k in idx.tolist()]
        x = inputs[idx]
        opt.zero_grad()
        loss(student(x), teacher(x), _samples(idx.tolist(),
                                              contrast)).backward()
        opt.step()
        for key in history:
            history[key].append(hub.get_scalar(TERM_KEYS[key]).current())
    for key, values in history.items():
        first = sum(values[:20]) / 20
        last = sum(values[-20:]) / 20
        assert last < 0.9 * first, (key, first, last)


@pytest.mark.parametrize('lipschitz', ['gradient_penalty', 'spectral_norm'])
def test_state_dict_round_trip_restores_memory_and_critic(lipschitz):
    torch.manual_seed(0)
    loss = _wcord(memory='queue', queue_size=16, lipschitz=lipschitz)
    for step in range(2):
        f_s, f_t, _ = _batch(step)
        loss(f_s, f_t)
    state = loss.state_dict()
    critic = {k for k in state if k.startswith('embed_')}
    if lipschitz == 'spectral_norm':  # the power iteration's vectors too
        assert critic == {
            f'embed_{side}.linear.{key}'
            for side in 'st'
            for key in ('bias', 'parametrizations.weight.original',
                        'parametrizations.weight.0._u',
                        'parametrizations.weight.0._v')
        }
    else:  # the gradient penalty keeps no state
        assert critic == {
            f'embed_{side}.linear.{key}'
            for side in 'st'
            for key in ('weight', 'bias')
        }
    assert {'memory.queue_s', 'memory.queue_t',
            'memory.queue_ptr'} <= set(state)
    torch.manual_seed(1)
    other = _wcord(memory='queue', queue_size=16, lipschitz=lipschitz)
    other.load_state_dict(state)
    for key, value in state.items():
        assert torch.equal(other.state_dict()[key], value), key
    f_s, f_t, _ = _batch(5)
    torch.manual_seed(2)  # the same interpolation draws of the penalty
    value = loss(f_s, f_t).item()
    torch.manual_seed(2)
    assert value == other(f_s, f_t).item()
    for key, value in loss.state_dict().items():
        assert torch.equal(other.state_dict()[key], value), key


@pytest.mark.parametrize('lipschitz',
                         ['spectral_norm', 'gradient_penalty', 'none'])
def test_loss_weight_zero_gives_zero(lipschitz):
    loss = _wcord(lipschitz=lipschitz, loss_weight=0.0)
    f_s, f_t, samples = _batch(0)
    assert loss(f_s, f_t, samples).item() == 0.0


def test_clear_errors():
    loss = _wcord()
    f_s, f_t, samples = _batch(0)
    with pytest.raises(ValueError, match='s_channels=12.*t_channels=20'):
        loss(torch.ones(8, 13), f_t, samples)
    with pytest.raises(ValueError, match='s_channels'):
        loss(f_s, f_t[:4], samples)
    with pytest.raises(ValueError, match='lipschitz must be one of'):
        _wcord(lipschitz='clip')
    with pytest.raises(ValueError, match='ot_cost must be one of'):
        _wcord(ot_cost='l1')
    with pytest.raises(ValueError, match='ot_solver must be one of'):
        _wcord(ot_solver='emd')
    with pytest.raises(ValueError, match='ot_epsilon > 0'):
        _wcord(ot_epsilon=0)
    queue = _wcord(memory='queue', queue_size=4)
    with pytest.raises(ValueError, match='queue_size=4'):
        queue(f_s, f_t)
    exact = _wcord(sample_mode='exact')
    with pytest.raises(
            ValueError, match="WCoRDLoss: sample_mode='exact'.*contrast_idx"):
        exact(f_s, f_t, _samples(range(8)))
    with pytest.raises(ValueError, match='WCoRDLoss needs `sample_idx`'):
        loss(f_s, f_t, [DataSample() for _ in range(8)])
