# Copyright (c) OpenMMLab. All rights reserved.
"""Fixtures of the config tests."""
from typing import Callable

import pytest
import torch
from mmengine.config import Config
from zoo_test_utils import retarget_to_digits


@pytest.fixture(autouse=True, scope='module')
def one_torch_thread():
    """Run these many small forward passes on one thread.

    On a shared 2-core machine, two OpenMP threads that wait on each other
    make a first forward pass 10-50x slower than one thread does.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def digits_cfg(digits_root, tmp_path) -> Callable[..., Config]:
    """Load a config retargeted to the digits for a short run.

    ``digits_cfg(path, **kwargs)`` returns ``Config.fromfile(path)`` passed
    through :func:`zoo_test_utils.retarget_to_digits` with this test's
    ``tmp_path`` as work dir (keyword arguments go to it).
    """

    def load(path: str, **kwargs) -> Config:
        cfg = Config.fromfile(path)
        return retarget_to_digits(cfg, digits_root, str(tmp_path), **kwargs)

    return load
