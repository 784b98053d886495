# Copyright (c) OpenMMLab. All rights reserved.
"""The registries mmkd_plus registers into.

mmkd_plus adds no registry of its own: models, losses, connectors,
distillers, algorithms and hooks go into MMRazor's registries (configs keep
``_scope_='mmrazor'``), while backbones, datasets, transforms and metrics go
into mmpretrain's, where mmpretrain's ``ImageClassifier`` and data pipeline
look them up (batch samplers: mmpretrain's ``DATA_SAMPLERS``; optimizer
wrappers, their constructors and parameter schedulers: mmpretrain's too,
the default scope of every config here). MMRazor's
registries are children of MMEngine's, and mmpretrain's too, so both scopes
find everything through their parent.
"""
from mmpretrain.registry import DATA_SAMPLERS, DATASETS, METRICS
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                                 OPTIMIZERS, PARAM_SCHEDULERS, TRANSFORMS)
from mmrazor.registry import HOOKS, LOOPS, MODELS, TASK_UTILS

__all__ = ['MODELS', 'PRETRAIN_MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS',
           'HOOKS', 'LOOPS', 'TASK_UTILS', 'DATA_SAMPLERS', 'OPTIMIZERS',
           'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS']
