# Copyright (c) OpenMMLab. All rights reserved.
"""register_all_modules, as MMRazor's setup_env: every registry filled,
and the configs' default scope made current (in a fresh process: the
default scope is global state)."""
import subprocess
import sys
import textwrap

from kd_test_utils import REPO

SCRIPT = textwrap.dedent('''
    import warnings

    from mmengine import DefaultScope

    from mmkd_plus.registry import DATASETS, MODELS, TRANSFORMS
    from mmkd_plus.utils import register_all_modules

    # importing mmkd_plus registers everything but sets no scope
    assert DefaultScope.get_current_instance() is None
    assert MODELS.get('WCoRDLoss') is not None
    assert MODELS.get('SingleTeacherDistill') is not None  # MMRazor's
    assert DATASETS.get('DigitsCIFAR') is not None
    assert TRANSFORMS.get('RandomCrop') is not None  # mmpretrain's
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmpretrain'
    DefaultScope.get_instance('other', scope_name='mmrazor')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmpretrain'
    assert any('"mmrazor" is not "mmpretrain"' in str(w.message)
               for w in caught), [str(w.message) for w in caught]
    print('checked')
''')


def test_register_all_modules_fills_registries_and_sets_the_scope():
    proc = subprocess.run([sys.executable, '-c', SCRIPT],
                          capture_output=True, text=True, cwd=REPO,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith('checked')
