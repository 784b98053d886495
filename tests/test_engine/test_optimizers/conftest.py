# Copyright (c) OpenMMLab. All rights reserved.
"""The AD split of the optimizer tests."""
import pytest


@pytest.fixture
def ad_cfg() -> dict:
    """The model's Adam (1e-3) and the adversaries' (3e-4), one group per
    class adversary: the entries of the optim_wrapper of
    configs/_base_/schedules/adam_plateau_50e_ad.py."""
    return dict(
        model=dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0)),
        adversaries=dict(
            modules=['adversaries'],
            group_by_child=True,
            optimizer=dict(type='Adam', lr=3e-4, weight_decay=0)))
