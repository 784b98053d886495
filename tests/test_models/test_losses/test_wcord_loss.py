# Copyright (c) OpenMMLab. All rights reserved.
"""WCoRDLoss: 'none' equals SyncCRDLoss, the OT term and its gradient, the
Lipschitz constraints, the logged terms, state dict, errors."""
import math

import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample
from mmrazor.models.architectures.connectors import CRDConnector

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
    assert loss.lipschitz == 'spectral_norm' and loss.gp_weight == 10.0
    assert loss.ot_cost == 'cosine' and loss.ot_kwargs == dict(
        solver='sinkhorn', epsilon=0.05, num_iters=50, beta=1.0)
    assert loss.num_negatives == 16384 and loss.memory_type == 'bank'
    assert loss.embed_s.linear.in_features == 64
    assert loss.embed_t.linear.in_features == 256


@pytest.mark.parametrize('memory', ['bank', 'queue'])
def test_none_equals_sync_crd_loss(memory):
    """No Lipschitz control, no LCKT: exactly CRD (value, gradients,
    memory) on the same features, embeddings and memory state."""
    torch.manual_seed(0)
    kwargs = dict(memory=memory, queue_size=16)
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
    # with the OT term on, the logged GCKT is still CRD's value
    full = _wcord(lipschitz='none', **kwargs)
    crd2 = SyncCRDLoss(
        num_data=NUM_DATA,
        feat_dim=DIM,
        num_negatives=NEG,
        loss_weight=0.8,
        **kwargs)
    crd2.memory.load_state_dict(full.memory.state_dict())
    crd_s.load_state_dict(full.embed_s.state_dict())
    crd_t.load_state_dict(full.embed_t.state_dict())
    f_s, f_t, samples = _batch(7)
    terms = full.terms(f_s, f_t, samples)
    ref = crd2(crd_s(f_s), crd_t(f_t), samples)
    assert torch.equal(terms['gckt'], ref)


def test_lckt_term_and_its_gradient_reach_the_student_only():
    torch.manual_seed(0)
    loss = _wcord(gckt_weight=0.0, lckt_weight=0.1, loss_weight=2.0)
    loss.eval()  # fixed spectral-norm estimate for the reference below
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
    assert loss.embed_s.linear.parametrizations.weight.original.grad.abs().sum(
    ) > 0
    # the teacher side is held: no gradient to its features or embedding
    assert f_t.grad is None or f_t.grad.abs().sum() == 0
    grad_t = loss.embed_t.linear.parametrizations.weight.original.grad
    assert grad_t is None or grad_t.abs().sum() == 0


def test_spectral_norm_keeps_the_critic_1_lipschitz_while_training():
    torch.manual_seed(0)
    constrained = _wcord()
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


def test_both_terms_fall_when_a_student_learns():
    """A linear student of a fixed linear teacher on random inputs: the
    logged GCKT and LCKT fall over 150 steps."""
    torch.manual_seed(0)
    loss = _wcord(num_negatives=NEG)
    student = torch.nn.Linear(8, S_CH)
    teacher = torch.nn.Linear(8, T_CH).requires_grad_(False)
    inputs = torch.randn(NUM_DATA, 8)
    opt = torch.optim.SGD(
        list(loss.parameters()) + list(student.parameters()), lr=0.2)
    hub = MessageHub.get_current_instance()
    history = {'gckt': [], 'lckt': []}
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


def test_state_dict_round_trip_restores_memory_and_spectral_norm_state():
    torch.manual_seed(0)
    loss = _wcord(memory='queue', queue_size=16)
    for step in range(2):
        f_s, f_t, _ = _batch(step)
        loss(f_s, f_t)
    state = loss.state_dict()
    assert {
        'memory.queue_s', 'memory.queue_ptr',
        'embed_s.linear.parametrizations.weight.0._u',
        'embed_t.linear.parametrizations.weight.0._v',
        'embed_s.linear.parametrizations.weight.original'
    } <= set(state)
    torch.manual_seed(1)
    other = _wcord(memory='queue', queue_size=16)
    other.load_state_dict(state)
    for key, value in state.items():
        assert torch.equal(other.state_dict()[key], value), key
    f_s, f_t, _ = _batch(5)
    assert loss(f_s, f_t).item() == other(f_s, f_t).item()
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
