# Copyright (c) OpenMMLab. All rights reserved.
"""The AD recipe's optimizer config for the optimizer tests."""
import os.path as osp

import pytest
from kd_test_utils import REPO
from mmengine.config import Config

AD_SCHEDULE = osp.join(REPO, 'configs', '_base_', 'schedules',
                       'adam_plateau_50e_ad.py')


@pytest.fixture
def ad_cfg() -> dict:
    """The optim_wrapper of configs/_base_/schedules/adam_plateau_50e_ad.py:
    the model's Adam (1e-3) with a group per class adversary (3e-4, no
    weight decay)."""
    return Config.fromfile(AD_SCHEDULE).optim_wrapper.to_dict()
