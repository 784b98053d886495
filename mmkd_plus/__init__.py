# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus: knowledge distillation methods and benchmarks for MMRazor 1.x.

Importing the package first checks the mmcv and mmengine versions (the
ranges of the ``mim`` extra, one clear error when out of range), applies
:mod:`mmkd_plus.compat` (MMRazor 1.0.0 on PyTorch 2.x), then imports
MMRazor's and mmpretrain's components and ours, so that every class is
registered in MMRazor's and mmpretrain's own registries.
Configs load it with::

    custom_imports = dict(imports=['mmkd_plus'], allow_failed_imports=False)
"""
import mmcv
import mmengine
from mmengine.utils import digit_version

# the `mim` extra (requirements/mminstall.txt); MMRazor 1.0.0 asserts
# mmcv <= 2.1.0 itself
mmcv_minimum_version = '2.0.0'
mmcv_maximum_version = '2.1.0'
mmengine_minimum_version = '0.10.0'
mmengine_maximum_version = '1.0.0'


def _check_mm_versions() -> None:
    """Raise one clear error when mmcv or mmengine is out of range."""
    mmcv_version = digit_version(mmcv.__version__)
    mmengine_version = digit_version(mmengine.__version__)
    if (digit_version(mmcv_minimum_version) <= mmcv_version <=
            digit_version(mmcv_maximum_version)
            and digit_version(mmengine_minimum_version) <= mmengine_version <
            digit_version(mmengine_maximum_version)):
        return
    raise ImportError(
        f'mmkd_plus needs mmcv>={mmcv_minimum_version},'
        f'<={mmcv_maximum_version} and mmengine>={mmengine_minimum_version},'
        f'<{mmengine_maximum_version}; found mmcv {mmcv.__version__} and '
        f'mmengine {mmengine.__version__}. Install versions in range, e.g. '
        f'pip install "mmcv-lite>={mmcv_minimum_version},'
        f'<={mmcv_maximum_version}" "mmengine>={mmengine_minimum_version},'
        f'<{mmengine_maximum_version}" (or `mim install` the full mmcv).')


_check_mm_versions()

from . import compat  # noqa: E402

compat.apply()

from .utils.setup_env import register_all_modules  # noqa: E402

# every class registered in MMRazor's and mmpretrain's registries, whoever
# launches the run (MMRazor's registries have no lazy `locations`)
register_all_modules(init_default_scope=False)

from . import datasets, engine, evaluation, models, ops  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'compat', 'datasets', 'engine', 'evaluation',
           'models', 'ops', 'register_all_modules']
