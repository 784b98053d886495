# Copyright (c) OpenMMLab. All rights reserved.
"""``data_root`` from the command line reaches every dataloader."""
import copy
import os

import pytest
from kd_test_utils import REPO
from mmengine.config import Config

from mmkd_plus.utils import merge_cfg_options, set_data_root


def test_set_data_root_moves_only_the_old_root():
    cfg = Config(
        dict(
            data_root='/old',
            train_dataloader=dict(
                dataset=dict(
                    type='Wrapper',
                    dataset=dict(data_root='/old'),
                    extra=[dict(data_root='/old'),
                           dict(data_root='/kept')])),
            val_dataloader=dict(dataset=dict(data_root='/kept')),
            test_dataloader=None,
            other=dict(data_root='/old')))
    assert set_data_root(cfg, '/new', '/old') == 2
    assert cfg.data_root == '/new'
    train = cfg.train_dataloader.dataset
    assert train.dataset.data_root == '/new'
    assert [d.data_root for d in train.extra] == ['/new', '/kept']
    assert cfg.val_dataloader.dataset.data_root == '/kept'
    assert cfg.other.data_root == '/old'  # not a dataloader
    # without an old root every loader moves
    assert set_data_root(cfg, '/all') == 4
    assert cfg.val_dataloader.dataset.data_root == '/all'


def test_merge_cfg_options_without_data_root_is_merge_from_dict():
    cfg = Config(dict(data_root='/d', train_dataloader=dict(
        dataset=dict(data_root='/d')), train_cfg=dict(max_epochs=1)))
    merge_cfg_options(cfg, {'train_cfg.max_epochs': 2})
    assert cfg.train_cfg.max_epochs == 2
    assert cfg.train_dataloader.dataset.data_root == '/d'
    merge_cfg_options(cfg, None)
    merge_cfg_options(cfg, {})
    assert cfg.data_root == '/d'


@pytest.mark.parametrize('config', [
    'configs/teachers/resnet8_1xb64_digits.py',
    'configs/baselines/crd/crd_neck_resnet20_resnet8_1xb64_digits.py',
    'configs/teachers/resnet32x4_1xb64_cifar100.py',
    'configs/quest/quest_r34_r18_in1k.py',
])
def test_one_data_root_option_reaches_every_loader(config):
    cfg = Config.fromfile(os.path.join(REPO, config))
    old = cfg.data_root
    roots = []

    def collect(node):
        if isinstance(node, dict):
            for k, v in node.items():
                roots.append(v) if k == 'data_root' else collect(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                collect(v)

    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        collect(cfg[name])
    assert roots and set(roots) == {old}  # the loaders read the top level
    merge_cfg_options(cfg, {'data_root': '/elsewhere', 'train_cfg.max_epochs':
                            3})
    roots.clear()
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        collect(cfg[name])
    assert len(roots) >= 2 and set(roots) == {'/elsewhere'}
    assert cfg.data_root == '/elsewhere' and cfg.train_cfg.max_epochs == 3
    # an explicit loader key still wins over the top-level one
    merge_cfg_options(cfg, {'data_root': '/a',
                            'val_dataloader.dataset.data_root': '/b'})
    assert cfg.train_dataloader.dataset.get('data_root', '/a') == '/a' \
        or cfg.train_dataloader.dataset.dataset.data_root == '/a'
    assert cfg.val_dataloader.dataset.data_root == '/b'


@pytest.mark.parametrize(
    'base', sorted(os.listdir(os.path.join(REPO, 'configs', '_base_',
                                           'datasets'))))
def test_every_dataset_base_has_one_data_root(base):
    """Each dataset base states one top-level data_root that all its
    loaders read, so ``--cfg-options data_root=PATH`` moves them all."""
    cfg = Config.fromfile(
        os.path.join(REPO, 'configs', '_base_', 'datasets', base))
    assert isinstance(cfg.get('data_root'), str), base
    before = copy.deepcopy(cfg.to_dict())
    changed = set_data_root(cfg, '/moved', cfg.data_root)
    assert changed >= 2  # at least the train and the test loader
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    text_before = repr([before[k] for k in loaders])
    text_after = repr([cfg.to_dict()[k] for k in loaders])
    # only the data_root values moved
    assert text_after.count("'/moved'") == changed
    assert text_before.replace(repr(before['data_root']),
                               "'/moved'") == text_after
