# Copyright (c) OpenMMLab. All rights reserved.
"""`import mmkd_plus` registers every component in the upstream registries.

Losses, connectors and algorithms live in MMRazor's MODELS (configs keep
``_scope_='mmrazor'`` and plain type names); backbones and datasets live in
mmpretrain's, where ``ImageClassifier`` and the data pipeline look for them.
"""
import importlib

import pytest
from mmpretrain.registry import DATA_SAMPLERS as PRETRAIN_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as PRETRAIN_DATASETS
from mmpretrain.registry import METRICS as PRETRAIN_METRICS
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.registry import TRANSFORMS as PRETRAIN_TRANSFORMS
from mmrazor.registry import HOOKS as RAZOR_HOOKS
from mmrazor.registry import MODELS as RAZOR_MODELS

import mmkd_plus

WHERE = [
    ('mmkd_plus.models.losses', RAZOR_MODELS),
    ('mmkd_plus.models.architectures.connectors', RAZOR_MODELS),
    ('mmkd_plus.models.algorithms', RAZOR_MODELS),
    ('mmkd_plus.models.architectures.backbones', PRETRAIN_MODELS),
    ('mmkd_plus.engine.hooks', RAZOR_HOOKS),
    ('mmkd_plus.datasets.transforms', PRETRAIN_TRANSFORMS),
    ('mmkd_plus.models.architectures.heads', PRETRAIN_MODELS),
    ('mmkd_plus.datasets.samplers', PRETRAIN_DATA_SAMPLERS),
    ('mmkd_plus.evaluation.metrics', PRETRAIN_METRICS),
]


@pytest.mark.parametrize('package,registry', WHERE, ids=[w[0] for w in WHERE])
def test_every_exported_class_is_registered(package, registry):
    module = importlib.import_module(package)
    classes = [
        n for n in module.__all__ if isinstance(getattr(module, n), type)
    ]
    assert classes, package
    for name in classes:
        assert registry.get(name) is getattr(module, name), name


def test_datasets_registered_in_mmpretrain():
    for name in ('LocalCIFAR10', 'LocalCIFAR100', 'LocalImageNet',
                 'DigitsCIFAR', 'CRDDatasetWrapper'):
        assert PRETRAIN_DATASETS.get(name) is getattr(mmkd_plus.datasets, name)


def test_upstream_classes_registered_on_import():
    # MMRazor's registries have no lazy locations: importing the plugin
    # must have imported MMRazor's models, and mmpretrain's
    for name in ('SingleTeacherDistill', 'ConfigurableDistiller',
                 'KLDivergence', 'ATLoss', 'CRDLoss'):
        assert RAZOR_MODELS.get(name) is not None, name
    assert PRETRAIN_MODELS.get('ImageClassifier') is not None


def test_found_from_the_scopes_configs_use():
    """Plain names resolve under the scopes our configs set."""
    from mmengine.registry import MODELS, DefaultScope
    with DefaultScope.overwrite_default_scope('mmrazor'):
        loss = MODELS.build(dict(_scope_='mmrazor', type='NSTLoss'))
    assert type(loss).__name__ == 'NSTLoss'
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        net = MODELS.build(dict(type='CIFARResNet', depth=8))
    assert type(net).__name__ == 'CIFARResNet'
