# Copyright (c) OpenMMLab. All rights reserved.
"""How the configs are written (issue #20): every config composes by
``_base_`` inheritance and plain variables.

- no leaf's merged config has a top-level key outside the Runner's and
  OpenMMLab's conventional ones (``ALLOWED``): a recipe's or a pair's
  building blocks are ``__`` locals (which MMEngine drops) or real keys,
  so nothing unexplained reaches a run's dumped config;
- no config assigns into a dict (``model['a']['b'] = x``,
  ``_base_.x.y = z``) or calls an in-place method on one: overrides are
  merges, and a base reads the same in every leaf;
- no config loads another config (``Config.fromfile``,
  ``{{ fileDirname }}``, imports): networks come by ``cfg_path``, the rest
  by ``_base_``.
"""
import ast
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from zoo_test_utils import CONFIGS, REPO, leaf_paths

# the keys MMEngine's Runner (Runner.from_cfg), MMRazor's and mmpretrain's
# tools read
RUNNER_KEYS = {
    'model', 'data_preprocessor', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'optim_wrapper',
    'param_scheduler', 'val_evaluator', 'test_evaluator', 'auto_scale_lr',
    'default_hooks', 'custom_hooks', 'custom_imports', 'env_cfg',
    'log_processor', 'visualizer', 'vis_backends', 'randomness',
    'model_wrapper_cfg', 'resume', 'load_from', 'launcher', 'default_scope',
    'log_level', 'find_unused_parameters', 'work_dir'
}
# the variables every OpenMMLab config has (our tools read data_root)
CONVENTIONS = {'dataset_type', 'data_root', 'train_pipeline', 'test_pipeline'}
ALLOWED = RUNNER_KEYS | CONVENTIONS

CONFIG_FILES = sorted(
    glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True))
LEAVES = leaf_paths()


def _rel(path):
    return osp.relpath(path, REPO)


@pytest.mark.parametrize('rel', sorted(LEAVES))
def test_no_leaf_has_an_unexplained_top_level_key(rel):
    keys = set(Config.fromfile(LEAVES[rel]))
    assert keys <= ALLOWED, sorted(keys - ALLOWED)


def _edits_in_place(tree):
    """``(line, code)`` of every assignment into a dict or attribute and
    every in-place method call on a config value."""
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if not isinstance(target, (ast.Name, ast.Tuple)):
                found.append((node.lineno, ast.unparse(target)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ('update', 'pop', 'setdefault', 'append',
                                  'extend', 'insert', 'merge', 'clear',
                                  'remove', '__setitem__'):
                found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize('path', CONFIG_FILES, ids=_rel)
def test_no_config_changes_a_dict_in_place(path):
    """Overrides are dict merges: no ``model['a']['b'] = x``, no
    ``_base_.x.y = z``, no ``x.update(...)``."""
    with open(path) as f:
        tree = ast.parse(f.read())
    assert _edits_in_place(tree) == []


def test_the_scan_finds_in_place_edits():
    """What the scan refuses, written as the configs once were."""
    code = '\n'.join([
        "_base_ = ['./_base_quest_cifar100.py']",
        '_base_.quest.distill_losses.loss_quest.loss_weight = 2.0',
        "model = dict(architecture=dict(head=dict()))",
        "model['architecture']['head'].update(num_groups=4)",
        'model["teacher"] = None',
        'x = dict(a=1)',
    ])
    lines = [line for line, _ in _edits_in_place(ast.parse(code))]
    assert lines == [2, 5, 4]


@pytest.mark.parametrize('path', CONFIG_FILES, ids=_rel)
def test_no_config_loads_another_config(path):
    with open(path) as f:
        text = f.read()
    assert 'fromfile' not in text
    assert 'fileDirname' not in text
    tree = ast.parse(text)
    assert not [
        n
        for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
    ]
