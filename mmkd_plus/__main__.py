# Copyright (c) OpenMMLab. All rights reserved.
"""Run an upstream OpenMMLab script with mmkd_plus loaded.

``python -m mmkd_plus SCRIPT [ARGS...]`` applies :mod:`mmkd_plus.compat`,
registers every mmkd_plus component, then runs SCRIPT as ``__main__``. This
is how MMRazor's own ``tools/train.py`` runs on torch 2: it calls
``register_all_modules()`` before it reads any config, which fails on torch 2
unless the fixes are applied first. MMRazor's pip package installs its
scripts under ``site-packages/mmrazor/.mim/tools/``. Example, from this
repository's root::

    python -m mmkd_plus $(python -c "import mmrazor, os; \
print(os.path.dirname(mmrazor.__file__))")/.mim/tools/train.py \
        configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py

A config used outside this repository is exported first
(``tools/export_config.py CONFIG OUT.py``): our leaves inherit relative
``_base_`` files.
"""
import os
import runpy
import sys

import mmkd_plus  # noqa: F401  (applies the compat fixes first)

USAGE = ('usage: python -m mmkd_plus SCRIPT [ARGS...]  runs an upstream '
         "script (e.g. MMRazor's tools/train.py) with mmkd_plus loaded")


def main(argv=None) -> None:
    """Run ``argv[0]`` as a script with ``argv`` as its ``sys.argv``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ('-h', '--help'):
        raise SystemExit(USAGE)
    script = argv[0]
    if not os.path.isfile(script):
        raise SystemExit(f'mmkd_plus: no such script: {script}\n{USAGE}')
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name='__main__')


if __name__ == '__main__':
    main()
