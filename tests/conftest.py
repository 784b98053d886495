# Copyright (c) OpenMMLab. All rights reserved.
"""Shared test setup: mmkd_plus (and so its torch-2 fixes) loads first."""
import os

import pytest

os.environ.setdefault('OMP_NUM_THREADS', '2')

import mmkd_plus  # noqa: E402,F401

_SCOPES_AT_START = dict(
    __import__('mmengine.registry').registry.DefaultScope._instance_dict)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _isolate_default_scope():
    """Undo the default scope a test's Runner leaves behind.

    A Runner makes its config's ``default_scope`` the current one for the
    whole process, and registries then build in that scope: a later test
    building ``dict(type='NSTLoss')`` through MMRazor's registry would look
    in mmpretrain's. Each test (and what follows it) starts with the scopes
    of the session's start, whatever a fixture's Runner left.
    """
    from mmengine.registry import DefaultScope
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(_SCOPES_AT_START)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(_SCOPES_AT_START)


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
    from kd_test_utils import TEACHER_DIGITS, load_tool, short_run_options
    train_tool = load_tool('train.py')
    work = str(tmp_path_factory.mktemp('teacher'))
    train_tool.main([
        TEACHER_DIGITS, '--cfg-options',
        *short_run_options(digits_root, work, max_epochs=2, num_train=128)
    ])
    path = os.path.join(work, 'epoch_2.pth')
    assert os.path.isfile(path)
    return path
