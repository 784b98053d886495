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

import mmpretrain.utils  # noqa: E402
import mmrazor.utils  # noqa: E402

# MMRazor's registries have no lazy `locations`: import its modules (and
# mmpretrain's) so every class is registered, whoever launches the run
mmpretrain.utils.register_all_modules(init_default_scope=False)
mmrazor.utils.register_all_modules(init_default_scope=False)

from . import datasets, engine, evaluation, models, ops  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'compat', 'datasets', 'engine', 'evaluation',
           'models', 'ops']
