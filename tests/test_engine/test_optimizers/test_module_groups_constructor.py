# Copyright (c) OpenMMLab. All rights reserved.
"""ModuleGroupsOptimWrapperConstructor: which parameter goes to which group
(by name, also through DDP and MMEngine's builder), that one optimizer with
a group per module steps as one torch Adam per module (also accumulating
gradients and with AMP), state round trips, and its errors."""
import copy
import os

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from kd_test_utils import free_port
from mmengine.optim import AmpOptimWrapper, OptimWrapper, build_optim_wrapper
from mmengine.registry import DefaultScope

import mmkd_plus  # noqa: F401
from mmkd_plus.engine import ModuleGroupsOptimWrapperConstructor


class Head(nn.Module):

    def __init__(self, num_classes=3):
        super().__init__()
        self.fc = nn.Linear(4, num_classes)
        self.adversaries = nn.ModuleList(
            nn.Sequential(
                nn.Linear(num_classes, 2), nn.ReLU(), nn.Linear(2, 2))
            for _ in range(num_classes))


class Net(nn.Module):
    """A network with one adversary per class on its logits (the loss:
    a stand-in whose gradient reaches every parameter)."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(5, 4)
        self.head = Head()

    def forward(self, x, absent=None):
        """The loss; the adversary of class ``absent`` takes no part."""
        logits = self.head.fc(torch.relu(self.backbone(x)))
        adv = sum(
            a(logits).pow(2).mean()
            for y, a in enumerate(self.head.adversaries) if y != absent)
        return logits.pow(2).mean() + adv


class Distiller(nn.Module):
    """A student with adversaries and a frozen teacher that has some too."""

    def __init__(self):
        super().__init__()
        self.architecture = Net()
        self.teacher = Net()
        self.teacher.requires_grad_(False)


def _build(cfg, model, **wrapper_keys):
    cfg = copy.deepcopy(cfg)
    cfg.pop('constructor')
    paramwise_cfg = cfg.pop('paramwise_cfg')
    cfg.update(wrapper_keys)
    return ModuleGroupsOptimWrapperConstructor(cfg, paramwise_cfg)(model)


def _names(wrapper, model):
    names = {id(p): n for n, p in model.named_parameters()}
    return [[names[id(p)] for p in g['params']]
            for g in wrapper.optimizer.param_groups]


ADV = [[
    f'head.adversaries.{y}.{i}.{w}' for i in (0, 2) for w in ('weight', 'bias')
] for y in range(3)]
REST = ['backbone.weight', 'backbone.bias', 'head.fc.weight', 'head.fc.bias']


def _separate_adams(model, model_wd=0.0):
    """The MFD code's optimizers: the network's Adam (1e-3) and one Adam
    (3e-4, torch's default weight decay 0) per class adversary."""
    rest = [p for n, p in model.named_parameters() if 'adversaries' not in n]
    return [torch.optim.Adam(rest, lr=1e-3, weight_decay=model_wd)] + [
        torch.optim.Adam(a.parameters(), lr=3e-4)
        for a in model.head.adversaries
    ]


def _assert_same(model, ref):
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0, msg=name)


def test_one_adam_a_group_per_adversary(ad_cfg):
    model = Net()
    wrapper = _build(ad_cfg, model)
    assert type(wrapper) is OptimWrapper
    assert type(wrapper.optimizer) is torch.optim.Adam
    assert _names(wrapper, model) == [REST] + ADV
    groups = wrapper.optimizer.param_groups
    assert [g.get('child') for g in groups] == [None, '0', '1', '2']
    assert [(g['lr'], g['weight_decay'])
            for g in groups] == [(1e-3, 0)] + [(3e-4, 0)] * 3
    # the OptimWrapper's base settings (logged as base_lr): the model's
    assert wrapper.get_lr() == {'base_lr': [1e-3], 'lr': [1e-3] + [3e-4] * 3}


def test_steps_as_separate_adams_with_their_own_settings(ad_cfg):
    """Every step of the one Adam equals the network's Adam (with its own
    weight decay) and one Adam per adversary, stepped after one backward;
    an adversary without a gradient in a step (its class absent from the
    batch) is left alone by both."""
    torch.manual_seed(0)
    model = Net()
    ref = copy.deepcopy(model)
    cfg = copy.deepcopy(ad_cfg)
    cfg['optimizer']['weight_decay'] = 1e-2
    wrapper = _build(cfg, model)
    refs = _separate_adams(ref, model_wd=1e-2)
    for step in range(6):
        x = torch.randn(8, 5)
        absent = step % 3 if step >= 3 else None
        wrapper.update_params(model(x, absent))
        ref(x, absent).backward()
        for opt in refs:
            opt.step()
            opt.zero_grad()
        _assert_same(model, ref)
    assert all(p.grad is None for p in model.parameters())
    # the skipped adversaries took 5 steps, the others 6, as with their own
    state = wrapper.optimizer.state
    assert [int(state[g['params'][0]]['step'])
            for g in wrapper.optimizer.param_groups] == [6, 5, 5, 5]


def test_gradient_accumulation_is_mmengines(ad_cfg):
    torch.manual_seed(0)
    model = Net()
    ref = copy.deepcopy(model)
    wrapper = _build(ad_cfg, model, accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, 3)
    xs = [torch.randn(8, 5) for _ in range(3)]
    for x in xs:
        wrapper.update_params(model(x))
    # two halved losses, a step, then the last iteration alone
    refs = _separate_adams(ref)
    for batches, factor in ((xs[:2], 2), (xs[2:], 1)):
        for x in batches:
            (ref(x) / factor).backward()
        for opt in refs:
            opt.step()
            opt.zero_grad()
    _assert_same(model, ref)


@pytest.mark.filterwarnings('ignore::FutureWarning')
@pytest.mark.filterwarnings('ignore::UserWarning')
def test_amp_as_train_amp_sets_it(ad_cfg, monkeypatch):
    """tools/train.py --amp sets type='AmpOptimWrapper' and
    loss_scale='dynamic': an AmpOptimWrapper of the same groups, whose
    scaled step equals the float32 one. AmpOptimWrapper refuses to be
    built without an accelerator: its check is let through and a CPU
    GradScaler used (the same code path as CUDA's scaler)."""
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_module
    monkeypatch.setattr(amp_module, 'is_cuda_available', lambda: True)
    torch.manual_seed(0)
    model = Net()
    ref = copy.deepcopy(model)
    wrapper = _build(
        ad_cfg, model, type='AmpOptimWrapper', loss_scale='dynamic')
    assert type(wrapper) is AmpOptimWrapper
    assert _names(wrapper, model) == [REST] + ADV
    wrapper.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.**10)
    x = torch.randn(8, 5)
    wrapper.update_params(model(x))
    ref(x).backward()
    for opt in _separate_adams(ref):
        opt.step()
    _assert_same(model, ref)
    assert 'loss_scaler' in wrapper.state_dict()


def test_state_dict_round_trip_resumes_identically(ad_cfg):
    torch.manual_seed(0)
    model = Net()
    xs = [torch.randn(8, 5) for _ in range(3)]
    wrapper = _build(ad_cfg, model)
    for x in xs[:2]:
        wrapper.update_params(model(x))
    # an adversary's LR reduced before saving must come back
    wrapper.optimizer.param_groups[2]['lr'] = 3e-5
    saved_model = copy.deepcopy(model.state_dict())
    saved = copy.deepcopy(wrapper.state_dict())
    wrapper.update_params(model(xs[2]))

    resumed_model = Net()
    resumed_model.load_state_dict(saved_model)
    resumed = _build(ad_cfg, resumed_model)
    resumed.load_state_dict(saved)
    groups = resumed.optimizer.param_groups
    assert [g['lr'] for g in groups] == [1e-3, 3e-4, 3e-5, 3e-4]
    assert [g.get('child') for g in groups] == [None, '0', '1', '2']
    resumed.update_params(resumed_model(xs[2]))
    _assert_same(model, resumed_model)


def test_distiller_frozen_teacher_belongs_to_no_group(ad_cfg):
    model = Distiller()
    wrapper = _build(ad_cfg, model)
    assert _names(wrapper, model) == [['architecture.' + n for n in group]
                                      for group in [REST] + ADV]


def test_one_group_without_group_by_child(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    del cfg['paramwise_cfg']['module_groups']['adversaries']['group_by_child']
    model = Net()
    wrapper = _build(cfg, model)
    assert _names(wrapper, model) == [REST, sum(ADV, [])]
    assert 'child' not in wrapper.optimizer.param_groups[1]


def test_dotted_module_names_match_consecutive_components():
    model = Net()
    cfg = dict(optimizer=dict(type='Adam', lr=1e-3))
    wrapper = ModuleGroupsOptimWrapperConstructor(
        cfg,
        dict(
            module_groups={
                'head.adversaries': dict(group_by_child=True, lr=3e-4)
            }))(model)
    assert _names(wrapper, model) == [REST] + ADV
    # 'adversaries.0' names the first adversary only, not a substring; the
    # modules' groups follow module_groups' order
    wrapper = ModuleGroupsOptimWrapperConstructor(
        cfg,
        dict(
            module_groups={
                'adversaries.2': dict(lr=1.0),
                'adversaries.0': dict(lr=2.0)
            }))(model)
    assert _names(wrapper, model) == [REST + ADV[1], ADV[2], ADV[0]]
    assert [g['lr'] for g in wrapper.optimizer.param_groups] == [1e-3, 1, 2]


def test_no_rest_group_when_the_modules_take_every_parameter():
    model = Net()
    wrapper = ModuleGroupsOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.1)),
        dict(module_groups=dict(backbone=dict(), head=dict(lr=0.2))))(model)
    assert _names(wrapper, model) == [
        ['backbone.weight', 'backbone.bias'], REST[2:] + sum(ADV, [])
    ]


def test_ddp_model_is_split_by_its_module(ad_cfg):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(free_port()))
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        model = Net()
        ddp = nn.parallel.DistributedDataParallel(model)
        assert _names(_build(ad_cfg, ddp), model) == [REST] + ADV
    finally:
        dist.destroy_process_group()


def test_built_by_mmengine_from_the_config(ad_cfg):
    """The way the Runner builds it: the constructor named in the config,
    looked up in the configs' default scope."""
    model = Net()
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        wrapper = build_optim_wrapper(model, copy.deepcopy(ad_cfg))
    assert type(wrapper) is OptimWrapper
    assert _names(wrapper, model) == [REST] + ADV


def _error(paramwise_cfg, model=None, optimizer=None):
    cfg = dict(optimizer=optimizer or dict(type='Adam', lr=1e-3))
    with pytest.raises(ValueError) as info:
        ModuleGroupsOptimWrapperConstructor(cfg, paramwise_cfg)(model
                                                                or Net())
    return str(info.value)


KEY = 'optim_wrapper.paramwise_cfg.module_groups'


def test_module_matching_no_parameter():
    assert f'{KEY}.adversary matches no trainable parameter' in _error(
        dict(module_groups=dict(adversary=dict(lr=1.0))))
    # only frozen parameters match: still none
    assert f'{KEY}.teacher matches no trainable parameter' in _error(
        dict(module_groups=dict(teacher=dict(lr=1.0))), Distiller())


def test_parameter_under_two_modules():
    msg = _error(dict(module_groups=dict(adversaries=dict(), head=dict())))
    assert ("parameter 'head.adversaries.0.0.weight' is under the modules "
            f"'adversaries' and 'head' of {KEY}") in msg


def test_group_by_child_needs_children():
    msg = _error(dict(module_groups=dict(fc=dict(group_by_child=True))))
    assert (f'{KEY}.fc.group_by_child needs parameters inside children of '
            "the module, but ['head.fc.weight'") in msg


def test_bad_settings():
    assert (f'{KEY}.adversaries.weight_deacy is not a setting of Adam'
            in _error(
                dict(module_groups=dict(adversaries=dict(weight_deacy=0)))))
    # momentum is SGD's, not Adam's
    assert f'{KEY}.adversaries.momentum is not a setting of Adam' in _error(
        dict(module_groups=dict(adversaries=dict(momentum=0.9))))
    for options in (0.1, dict(group_by_child='yes'), dict(params=[])):
        assert f'{KEY}.adversaries must be a dict of optimizer settings' in (
            _error(dict(module_groups=dict(adversaries=options))))
    assert f"{KEY} keys are module names such as 'adversaries'" in _error(
        dict(module_groups={'head.': dict()}))


def test_module_groups_needed_and_alone():
    for paramwise_cfg in (None, dict(module_groups={})):
        assert (f'ModuleGroupsOptimWrapperConstructor needs {KEY}, a dict'
                in _error(paramwise_cfg))
    msg = _error(
        dict(
            module_groups=dict(adversaries=dict()),
            custom_keys=dict(adversaries=dict(lr_mult=0.3))))
    assert ('optim_wrapper.paramwise_cfg.custom_keys is not supported: the '
            f'groups are given by {KEY} only') in msg
