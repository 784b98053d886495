# Copyright (c) OpenMMLab. All rights reserved.
"""ModuleSplitOptimWrapperConstructor: which parameter goes where (by name,
also through DDP and MMEngine's builder), and its errors."""
import copy
import os

import pytest
import torch.distributed as dist
import torch.nn as nn
from kd_test_utils import free_port
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import mmkd_plus  # noqa: F401
from mmkd_plus.engine import (JointOptimWrapperDict,
                              ModuleSplitOptimWrapperConstructor)


class Head(nn.Module):

    def __init__(self, num_classes=3):
        super().__init__()
        self.fc = nn.Linear(4, num_classes)
        self.adversaries = nn.ModuleList(
            nn.Sequential(
                nn.Linear(num_classes, 2), nn.ReLU(), nn.Linear(2, 2))
            for _ in range(num_classes))


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(5, 4)
        self.head = Head()

    def forward(self, x):
        return self.head.fc(self.backbone(x))


class Distiller(nn.Module):
    """A student with adversaries and a frozen teacher that has some too."""

    def __init__(self):
        super().__init__()
        self.architecture = Net()
        self.teacher = Net()
        self.teacher.requires_grad_(False)


def _names(wrapper, model):
    names = {id(p): n for n, p in model.named_parameters()}
    return {
        key: [[names[id(p)] for p in g['params']]
              for g in w.optimizer.param_groups]
        for key, w in wrapper.items()
    }


ADV = [[
    f'head.adversaries.{y}.{i}.{w}' for i in (0, 2) for w in ('weight', 'bias')
] for y in range(3)]
REST = ['backbone.weight', 'backbone.bias', 'head.fc.weight', 'head.fc.bias']


def test_split_by_module_name_one_group_per_adversary(ad_cfg):
    model = Net()
    wrapper = ModuleSplitOptimWrapperConstructor(copy.deepcopy(ad_cfg))(model)
    assert isinstance(wrapper, JointOptimWrapperDict)
    assert list(wrapper.keys()) == ['model', 'adversaries']
    assert _names(wrapper, model) == dict(model=[REST], adversaries=ADV)
    groups = wrapper['adversaries'].optimizer.param_groups
    assert [g['child'] for g in groups] == ['0', '1', '2']
    assert [g['lr'] for g in groups] == [3e-4] * 3
    assert [g['weight_decay'] for g in groups] == [0] * 3
    assert wrapper['model'].optimizer.param_groups[0]['lr'] == 1e-3


def test_distiller_frozen_teacher_belongs_to_no_entry(ad_cfg):
    model = Distiller()
    wrapper = ModuleSplitOptimWrapperConstructor(copy.deepcopy(ad_cfg))(model)
    got = _names(wrapper, model)
    assert got['model'] == [['architecture.' + n for n in REST]]
    assert got['adversaries'] == [['architecture.' + n for n in g]
                                  for g in ADV]


def test_one_group_without_group_by_child(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    del cfg['adversaries']['group_by_child']
    model = Net()
    got = _names(ModuleSplitOptimWrapperConstructor(cfg)(model), model)
    assert got['adversaries'] == [sum(ADV, [])]


def test_dotted_module_names_match_consecutive_components(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    cfg['adversaries']['modules'] = ['head.adversaries']
    model = Net()
    got = _names(ModuleSplitOptimWrapperConstructor(cfg)(model), model)
    assert got['adversaries'] == ADV
    # 'adversaries.0' names the first adversary only, not a substring
    cfg['adversaries'].update(modules=['adversaries.0'], group_by_child=False)
    got = _names(ModuleSplitOptimWrapperConstructor(cfg)(model), model)
    assert got['adversaries'] == [ADV[0]]
    assert got['model'] == [REST + ADV[1] + ADV[2]]


def test_ddp_model_is_split_by_its_module(ad_cfg):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(free_port()))
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        model = Net()
        ddp = nn.parallel.DistributedDataParallel(model)
        wrapper = ModuleSplitOptimWrapperConstructor(copy.deepcopy(ad_cfg))(
            ddp)
        assert _names(wrapper, model) == dict(model=[REST], adversaries=ADV)
    finally:
        dist.destroy_process_group()


def test_built_by_mmengine_from_a_config(ad_cfg):
    """The way the Runner builds it: the constructor named in the config,
    looked up in the configs' default scope."""
    cfg = dict(
        constructor='ModuleSplitOptimWrapperConstructor',
        **copy.deepcopy(ad_cfg))
    model = Net()
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        wrapper = build_optim_wrapper(model, cfg)
    assert type(wrapper) is JointOptimWrapperDict
    assert _names(wrapper, model) == dict(model=[REST], adversaries=ADV)


def _error(cfg, model=None, paramwise_cfg=None):
    with pytest.raises((ValueError, TypeError)) as info:
        ModuleSplitOptimWrapperConstructor(cfg, paramwise_cfg)(model or Net())
    return str(info.value)


def test_entry_claiming_no_parameter(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    cfg['adversaries']['modules'] = ['adversary']
    msg = _error(cfg)
    assert 'optim_wrapper.adversaries claims no parameter' in msg
    assert "modules=['adversary'] match no trainable parameter" in msg
    # only frozen parameters match: still none
    cfg['adversaries']['modules'] = ['teacher']
    assert 'optim_wrapper.adversaries claims no parameter' in _error(
        cfg, Distiller())


def test_rest_entry_left_empty(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    cfg['adversaries']['modules'] = ['backbone', 'head']
    assert ('optim_wrapper.model claims no parameter: the other entries '
            'claim every trainable parameter') in _error(cfg)


def test_parameter_claimed_twice(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    cfg['heads'] = dict(modules=['head'], optimizer=dict(type='SGD', lr=1))
    msg = _error(cfg)
    assert ("parameter 'head.adversaries.0.0.weight' would belong to "
            'optim_wrapper.adversaries.modules and '
            'optim_wrapper.heads.modules') in msg


def test_two_remainder_entries_and_unclaimed_parameters(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    cfg['other'] = dict(optimizer=dict(type='SGD', lr=1))
    assert ('optim_wrapper.model, optim_wrapper.other have no modules'
            in _error(cfg))
    cfg = copy.deepcopy(ad_cfg)
    cfg['model']['modules'] = ['backbone']
    msg = _error(cfg)
    assert ("no optim_wrapper entry claims the trainable parameters "
            "['head.fc.weight', 'head.fc.bias']") in msg


def test_bad_entries(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    # a leaf that merged the single-optimizer base without _delete_
    cfg['optimizer'] = dict(type='Adam', lr=1e-3)
    msg = _error(cfg)
    assert 'optim_wrapper.optimizer must be an entry dict' in msg
    assert '_delete_=True' in msg
    cfg = copy.deepcopy(ad_cfg)
    cfg['adversaries']['modules'] = 'adversaries'
    assert 'optim_wrapper.adversaries.modules must be a non-empty list' in (
        _error(cfg))
    assert 'optim_wrapper.paramwise_cfg is not supported' in _error(
        copy.deepcopy(ad_cfg),
        paramwise_cfg=dict(custom_keys={'adversaries': dict(lr_mult=0.3)}))
    cfg = dict(type='OptimWrapperDict', **copy.deepcopy(ad_cfg))
    assert "optim_wrapper.type must be a dict wrapper that updates" in _error(
        cfg)
    assert 'has no entry' in _error({})


def test_group_by_child_needs_children(ad_cfg):
    cfg = copy.deepcopy(ad_cfg)
    cfg['adversaries']['modules'] = ['fc']
    assert ('optim_wrapper.adversaries.group_by_child needs parameters '
            "inside children of the named module, but ['head.fc.weight'"
            in _error(cfg))


def test_plain_names_in_every_scope(ad_cfg):
    """Found by name in the configs' scope and, for the dict type, outside
    it (a run whose default scope is MMRazor's)."""
    from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        with OPTIM_WRAPPERS.switch_scope_and_registry(None) as registry:
            assert registry.get('JointOptimWrapperDict') is (
                JointOptimWrapperDict)
        with OPTIM_WRAPPER_CONSTRUCTORS.switch_scope_and_registry(
                None) as registry:
            assert registry.get('ModuleSplitOptimWrapperConstructor') is (
                ModuleSplitOptimWrapperConstructor)
    with DefaultScope.overwrite_default_scope('mmrazor'):
        cfg = dict(type='JointOptimWrapperDict', **copy.deepcopy(ad_cfg))
        wrapper = ModuleSplitOptimWrapperConstructor(cfg)(Net())
    assert type(wrapper) is JointOptimWrapperDict
