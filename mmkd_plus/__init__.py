# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus: knowledge distillation methods and benchmarks for MMRazor 1.x.

Importing the package first applies :mod:`mmkd_plus.compat` (MMRazor 1.0.0 on
PyTorch 2.x), then imports MMRazor's and mmpretrain's components and ours, so
that every class is registered in MMRazor's and mmpretrain's own registries.
Configs load it with::

    custom_imports = dict(imports=['mmkd_plus'], allow_failed_imports=False)
"""
from . import compat

compat.apply()

from mmpretrain.utils import register_all_modules as _register_mmpretrain  # noqa: E402,E501
from mmrazor.utils import register_all_modules as _register_mmrazor  # noqa: E402,E501

_register_mmpretrain(init_default_scope=False)
_register_mmrazor(init_default_scope=False)

from . import datasets, engine, evaluation, models, ops  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'compat', 'datasets', 'engine', 'evaluation',
           'models', 'ops']
