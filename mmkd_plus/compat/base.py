# Copyright (c) OpenMMLab. All rights reserved.
"""What every fix of :mod:`mmkd_plus.compat` shares: run once per
process, remember whether it acted and what it replaced, and honour
``MMKD_PLUS_COMPAT_SKIP``."""
import os
from typing import Any, Callable, Dict, List

import torch

__all__ = ['TORCH2', 'ORIGINALS', 'SKIP_ENV', 'once', 'applied_fixes']

TORCH2 = int(torch.__version__.split('.')[0]) >= 2

_APPLIED: Dict[str, bool] = {}
# what each fix replaced, so tests can show the upstream behaviour
ORIGINALS: Dict[str, Any] = {}
# comma-separated fix names to leave out (for showing an upstream bug)
SKIP_ENV = 'MMKD_PLUS_COMPAT_SKIP'


def once(fn: Callable[[], bool]) -> Callable[[], bool]:
    """Run a fix at most once per process; remember whether it acted."""

    def wrapper() -> bool:
        if fn.__name__ not in _APPLIED:
            skipped = os.environ.get(SKIP_ENV, '').split(',')
            _APPLIED[fn.__name__] = (fn.__name__ not in skipped
                                     and bool(fn()))
        return _APPLIED[fn.__name__]

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


def applied_fixes() -> List[str]:
    """Names of the fixes that changed something in this process."""
    return [name for name, acted in _APPLIED.items() if acted]
