# Copyright (c) OpenMMLab. All rights reserved.
"""``python -m mmkd_plus``: its usage and the example in its docstring."""
import os.path as osp
import re

import mmrazor
import pytest
from kd_test_utils import REPO

import mmkd_plus.__main__ as main_module


def test_docstring_example_names_real_paths():
    doc = main_module.__doc__
    configs = re.findall(r'configs/\S+\.py', doc)
    assert configs, doc
    for path in configs:
        assert osp.isfile(osp.join(REPO, path)), path
    # MMRazor's pip package keeps its scripts here
    assert '/.mim/tools/train.py' in doc
    assert osp.isfile(
        osp.join(osp.dirname(mmrazor.__file__), '.mim', 'tools', 'train.py'))


def test_usage_and_missing_script(tmp_path):
    with pytest.raises(SystemExit, match='usage: python -m mmkd_plus'):
        main_module.main([])
    with pytest.raises(SystemExit, match='no such script: .*nope.py'):
        main_module.main([str(tmp_path / 'nope.py')])
