# Copyright (c) OpenMMLab. All rights reserved.
"""Shared test setup: mmkd_plus (and so its torch-2 fixes) loads first."""
import os

import pytest

os.environ.setdefault('OMP_NUM_THREADS', '2')

import mmkd_plus  # noqa: E402,F401

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='session')
def digits_root(tmp_path_factory):
    """A data root holding the digits in CIFAR format (written once)."""
    from mmkd_plus.datasets import write_digits_cifar
    root = tmp_path_factory.mktemp('data') / 'digits'
    write_digits_cifar(str(root))
    return str(root)
