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


@pytest.fixture(scope='session')
def digits_teacher_ckpt(digits_root, tmp_path_factory):
    """A resnet20 teacher trained briefly on the digits by tools/train.py."""
    import sys
    sys.path.insert(0, os.path.join(REPO_ROOT, 'tools'))
    import train as train_tool
    from kd_test_utils import TEACHER_DIGITS, short_run_options
    work = str(tmp_path_factory.mktemp('teacher'))
    train_tool.main([
        TEACHER_DIGITS, '--cfg-options',
        *short_run_options(digits_root, work, max_epochs=2, num_train=128)
    ])
    path = os.path.join(work, 'epoch_2.pth')
    assert os.path.isfile(path)
    return path
