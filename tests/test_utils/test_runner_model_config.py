# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus.utils.runner_model_config: the model as MMEngine's Runner
builds it, with the config's top-level data_preprocessor."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmrazor.registry import MODELS

from mmkd_plus.utils import runner_model_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KD_DIGITS = osp.join(REPO, 'configs', 'baselines', 'kd',
                     'kd_logits_resnet20_resnet8_1xb64_digits.py')


def test_the_top_level_data_preprocessor_reaches_the_model():
    cfg = Config.fromfile(KD_DIGITS)
    assert 'data_preprocessor' not in cfg.model
    model_cfg = runner_model_config(cfg, teacher_ckpt=None)
    assert model_cfg.data_preprocessor == cfg.data_preprocessor
    assert model_cfg.teacher_ckpt is None
    assert 'data_preprocessor' not in cfg.model  # the config is unchanged
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    mean = model.data_preprocessor.mean.flatten().tolist()
    assert mean == pytest.approx(cfg.data_preprocessor.mean)


def test_a_model_s_own_data_preprocessor_wins():
    cfg = Config.fromfile(KD_DIGITS)
    own = dict(type='mmpretrain.ClsDataPreprocessor', mean=[0.0] * 3,
               std=[1.0] * 3)
    cfg.model.data_preprocessor = own
    assert runner_model_config(cfg).data_preprocessor == own
