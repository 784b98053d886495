# Copyright (c) OpenMMLab. All rights reserved.
"""JointOptimWrapperDict: one backward, every optimizer steps with its own
LR (checked against torch.optim.Adam run by hand), accumulation, AMP with
one shared GradScaler, a standard train_step, and state round trips."""
import copy
from contextlib import contextmanager

import pytest
import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import DefaultScope

import mmkd_plus  # noqa: F401
from mmkd_plus.engine import (JointOptimWrapperDict,
                              ModuleSplitOptimWrapperConstructor)


class Head(nn.Module):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.adversaries = nn.ModuleList(nn.Linear(3, 2) for _ in range(3))


class Toy(nn.Module):
    """A network with one adversary per class on its logits."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(5, 4)
        self.head = Head()

    def forward(self, x):
        logits = self.head.fc(torch.relu(self.backbone(x)))
        adv = sum(a(logits).pow(2).mean() for a in self.head.adversaries)
        return logits.pow(2).mean() + adv


def _build(cfg, model, **entry_extra):
    for entry in ('model', 'adversaries'):
        cfg[entry].update(entry_extra)
    return ModuleSplitOptimWrapperConstructor(cfg)(model)


def _adv_params(model):
    return [p for n, p in model.named_parameters() if 'adversaries' in n]


def _model_params(model):
    return [p for n, p in model.named_parameters() if 'adversaries' not in n]


def _step_by_hand(ref, x, clip=None):
    """The MFD code's update: one backward, then the model's Adam (1e-3)
    and the adversaries' Adam (3e-4)."""
    ref(x).backward()
    for params, lr in ((_model_params(ref), 1e-3), (_adv_params(ref), 3e-4)):
        if clip is not None:
            nn.utils.clip_grad_norm_(params, clip)
        torch.optim.Adam(params, lr=lr).step()


def _assert_same(model, ref):
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, msg=name)


def test_one_backward_steps_both_optimizers_with_their_own_lr(ad_cfg):
    torch.manual_seed(0)
    model = Toy()
    ref = copy.deepcopy(model)
    before = copy.deepcopy(model)
    wrapper = _build(ad_cfg, model)
    assert isinstance(wrapper, JointOptimWrapperDict)
    x = torch.randn(8, 5)
    wrapper.update_params(model(x))

    _step_by_hand(ref, x)
    _assert_same(model, ref)
    # Adam's first step moves every coordinate by ~lr (g / |g|)
    for p, p0 in zip(_adv_params(model), _adv_params(before)):
        torch.testing.assert_close(
            (p - p0).abs(), torch.full_like(p, 3e-4), rtol=1e-3, atol=1e-7)
    for p, p0 in zip(_model_params(model), _model_params(before)):
        torch.testing.assert_close(
            (p - p0).abs(), torch.full_like(p, 1e-3), rtol=1e-3, atol=1e-7)
    # and every gradient is zeroed
    assert all(p.grad is None for p in model.parameters())
    assert wrapper.get_lr() == {
        'model.lr': [1e-3],
        'adversaries.base_lr': [3e-4],
        'adversaries.lr': [3e-4] * 3
    }


def test_gradient_accumulation_steps_every_k_iterations(ad_cfg):
    torch.manual_seed(0)
    model = Toy()
    ref = copy.deepcopy(model)
    wrapper = _build(ad_cfg, model, accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, 3)
    xs = [torch.randn(8, 5) for _ in range(3)]
    start = copy.deepcopy(model)
    wrapper.update_params(model(xs[0]))
    # no step yet, the gradient is kept (halved)
    for p, p0 in zip(model.parameters(), start.parameters()):
        assert torch.equal(p, p0)
    assert all(p.grad is not None for p in model.parameters())
    wrapper.update_params(model(xs[1]))
    # the last iteration (max_counts=3) steps alone, loss factor 1
    wrapper.update_params(model(xs[2]))

    opts = [
        torch.optim.Adam(_model_params(ref), lr=1e-3),
        torch.optim.Adam(_adv_params(ref), lr=3e-4)
    ]
    (ref(xs[0]) / 2).backward()
    (ref(xs[1]) / 2).backward()
    for opt in opts:
        opt.step()
        opt.zero_grad()
    ref(xs[2]).backward()
    for opt in opts:
        opt.step()
    _assert_same(model, ref)
    assert wrapper.inner_count == 3


class _NoSyncModel(Toy):
    """Records whether the forward pass ran under ``no_sync`` (as DDP's)."""

    def __init__(self):
        super().__init__()
        self.syncing = True

    @contextmanager
    def no_sync(self):
        self.syncing = False
        yield
        self.syncing = True


def test_context_skips_gradient_sync_while_accumulating(ad_cfg):
    model = _NoSyncModel()
    wrapper = _build(ad_cfg, model, accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, 4)
    seen = []
    for _ in range(4):
        with wrapper.optim_context(model):
            seen.append(model.syncing)
            loss = model(torch.randn(2, 5))
        wrapper.update_params(loss)
    assert seen == [False, True, False, True]


def test_different_accumulative_counts_are_refused(ad_cfg):
    model = Toy()
    cfg = ad_cfg
    cfg['adversaries']['accumulative_counts'] = 2
    with pytest.raises(
            ValueError,
            match='optim_wrapper.model=1, '
            'optim_wrapper.adversaries=2'):
        ModuleSplitOptimWrapperConstructor(cfg)(model)


def test_not_an_optim_wrapper_is_refused():
    with pytest.raises(
            TypeError, match='optim_wrapper.a must be an '
            'OptimWrapper'):
        JointOptimWrapperDict(a=torch.optim.SGD(Toy().parameters(), lr=1))
    with pytest.raises(ValueError, match='at least one entry'):
        JointOptimWrapperDict()


def test_state_dict_round_trip_resumes_identically(ad_cfg):
    torch.manual_seed(0)
    model = Toy()
    xs = [torch.randn(8, 5) for _ in range(3)]
    wrapper = _build(copy.deepcopy(ad_cfg), model)
    for x in xs[:2]:
        wrapper.update_params(model(x))
    saved_model = copy.deepcopy(model.state_dict())
    saved = copy.deepcopy(wrapper.state_dict())
    assert set(saved) == {'model', 'adversaries'}
    # the adversary LR was reduced before saving: it must come back
    saved['adversaries']['param_groups'][1]['lr'] = 3e-5
    wrapper['adversaries'].optimizer.param_groups[1]['lr'] = 3e-5
    wrapper.update_params(model(xs[2]))

    resumed_model = Toy()
    resumed_model.load_state_dict(saved_model)
    resumed = _build(ad_cfg, resumed_model)
    resumed.load_state_dict(copy.deepcopy(saved))
    assert resumed['adversaries'].optimizer.param_groups[1]['lr'] == 3e-5
    assert [g['child'] for g in resumed['adversaries'].optimizer.param_groups
            ] == ['0', '1', '2']
    resumed.update_params(resumed_model(xs[2]))
    _assert_same(model, resumed_model)


def test_resume_from_another_optimizer_layout_names_both(ad_cfg):
    wrapper = _build(ad_cfg, Toy())
    single = OptimWrapper(torch.optim.Adam(Toy().parameters())).state_dict()
    with pytest.raises(
            KeyError,
            match=r"entries \['param_groups', 'state'\]"
            r" but optim_wrapper has \['adversaries', 'model'\]"):
        wrapper.load_state_dict(single)


def test_standard_train_step_of_an_image_classifier(ad_cfg):
    """mmpretrain's ImageClassifier.train_step with the AD head updates the
    network and the adversaries from one call."""
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(
            dict(
                type='ImageClassifier',
                backbone=dict(type='CIFARNet', widths=(4, 4, 4), hidden=8),
                head=dict(
                    type='AdversarialClsHead',
                    num_classes=3,
                    in_channels=8,
                    num_groups=2,
                    loss=dict(type='CrossEntropyLoss'))))
    wrapper = _build(ad_cfg, model)
    samples = []
    for y, a in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]:
        s = DataSample().set_gt_label(y)
        s.set_field(a, 'group')
        samples.append(s)
    data = dict(inputs=torch.rand(6, 3, 32, 32) * 255, data_samples=samples)
    before = copy.deepcopy(model.state_dict())
    log_vars = model.train_step(data, optim_wrapper=wrapper)
    assert {'loss', 'loss_adv'} <= set(log_vars)
    after = model.state_dict()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    # every parameter: the network's and each class adversary's
    assert moved == {n for n, _ in model.named_parameters()}
    assert {f'head.adversaries.{y}.2.bias' for y in range(3)} <= moved


# AMP: AmpOptimWrapper refuses to be built without an accelerator; its
# constructor is let through and each gets a CPU GradScaler, which the dict
# then shares (the same code path as CUDA's scaler).


@pytest.fixture
def amp_on_cpu(monkeypatch):
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_module
    monkeypatch.setattr(amp_module, 'is_cuda_available', lambda: True)


def _amp_dict(cfg, model, **extra):
    with pytest.warns(UserWarning):  # torch.cuda.amp's scaler, no CUDA
        return _build(cfg, model, type='AmpOptimWrapper', **extra)


@pytest.mark.filterwarnings('ignore::FutureWarning')
def test_amp_shares_one_scaler_scales_once_and_updates_once(
        amp_on_cpu, ad_cfg):
    torch.manual_seed(0)
    model = Toy()
    ref = copy.deepcopy(model)
    wrapper = _amp_dict(ad_cfg, model)
    assert all(isinstance(w, AmpOptimWrapper) for w in wrapper.values())
    scaler = torch.amp.GradScaler('cpu', init_scale=2.**4)
    wrapper.share_loss_scaler(scaler)
    assert all(w.loss_scaler is scaler for w in wrapper.values())

    x = torch.randn(8, 5)
    wrapper.update_params(model(x))
    _step_by_hand(ref, x)
    _assert_same(model, ref)
    assert scaler.get_scale() == 2.**4  # growth only after 2000 good steps

    # an overflow in the adversaries' gradients: their step is skipped,
    # the model's is not, and the scale backs off ONCE (x0.5, not x0.25)
    state = copy.deepcopy(model.state_dict())
    handle = model.head.adversaries[1].weight.register_hook(
        lambda g: torch.full_like(g, float('inf')))
    wrapper.update_params(model(x))
    handle.remove()
    assert scaler.get_scale() == 2.**3
    after = model.state_dict()
    for name in state:
        unchanged = torch.equal(state[name], after[name])
        assert unchanged == ('adversaries' in name), name


@pytest.mark.filterwarnings('ignore::FutureWarning')
def test_amp_clip_unscales_before_clipping(amp_on_cpu, ad_cfg):
    torch.manual_seed(0)
    model = Toy()
    ref = copy.deepcopy(model)
    wrapper = _amp_dict(ad_cfg, model, clip_grad=dict(max_norm=1e-3))
    wrapper.share_loss_scaler(torch.amp.GradScaler('cpu', init_scale=2.**10))
    x = torch.randn(8, 5)
    wrapper.update_params(model(x))
    _step_by_hand(ref, x, clip=1e-3)
    _assert_same(model, ref)


@pytest.mark.filterwarnings('ignore::FutureWarning')
def test_amp_mixed_or_unequal_scalers_are_refused(amp_on_cpu, ad_cfg):
    cfg = ad_cfg
    cfg['adversaries']['type'] = 'AmpOptimWrapper'
    with pytest.warns(UserWarning), pytest.raises(
            ValueError,
            match="optim_wrapper.model.type=OptimWrapper, "
            "optim_wrapper.adversaries.type=AmpOptimWrapper"):
        ModuleSplitOptimWrapperConstructor(cfg)(Toy())
    cfg['model']['type'] = 'AmpOptimWrapper'
    cfg['model']['loss_scale'] = 512.
    with pytest.warns(UserWarning), pytest.raises(
            ValueError,
            match='optim_wrapper.adversaries differs from '
            'optim_wrapper.model'):
        ModuleSplitOptimWrapperConstructor(cfg)(Toy())


@pytest.mark.filterwarnings('ignore::FutureWarning')
def test_amp_for_the_whole_dict_as_train_amp_sets_it(amp_on_cpu, ad_cfg):
    cfg = dict(type='AmpOptimWrapper', loss_scale=512., **ad_cfg)
    with pytest.warns(UserWarning):
        wrapper = ModuleSplitOptimWrapperConstructor(cfg)(Toy())
    assert type(wrapper) is JointOptimWrapperDict
    assert all(
        isinstance(w, AmpOptimWrapper) and w._scale_update_param == 512.
        for w in wrapper.values())
    assert wrapper['model'].loss_scaler is wrapper['adversaries'].loss_scaler
    with pytest.raises(
            ValueError,
            match='optim_wrapper.loss_scale apply to '
            'AmpOptimWrapper entries'):
        ModuleSplitOptimWrapperConstructor(dict(loss_scale=512., **ad_cfg))


def test_share_loss_scaler_without_amp_is_refused(ad_cfg):
    with pytest.raises(ValueError, match='not AmpOptimWrappers'):
        _build(ad_cfg, Toy()).share_loss_scaler(torch.amp.GradScaler('cpu'))
