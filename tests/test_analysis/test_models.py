# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus.analysis.build_model_and_loader: the model as the Runner
builds it (normalising), a run's checkpoint loaded, the test loader or the
one given."""
import os.path as osp

import pytest
import torch
from kd_test_utils import DEMO_METHODS, REPO
from mmengine.config import Config

from mmkd_plus.analysis import build_model_and_loader


def _cfg(digits_root):
    cfg = Config.fromfile(osp.join(REPO, DEMO_METHODS['kd']))
    cfg.test_dataloader.dataset.data_root = digits_root
    return cfg


def test_model_normalises_and_loads_the_checkpoint(digits_root, tmp_path):
    cfg = _cfg(digits_root)
    model, loader = build_model_and_loader(cfg, teacher_ckpt=None)
    assert model.data_preprocessor.mean.flatten().tolist() == pytest.approx(
        cfg.data_preprocessor.mean)
    assert loader.dataset.split == 'test'
    weights = {k: torch.full_like(v, 0.5) if v.is_floating_point() else v
               for k, v in model.state_dict().items()}
    path = str(tmp_path / 'run.pth')
    torch.save(dict(state_dict=weights), path)
    loaded, _ = build_model_and_loader(
        cfg, checkpoint=path, strict=True, teacher_ckpt=None)
    for name, value in loaded.state_dict().items():
        assert torch.equal(value, weights[name]), name


def test_a_given_loader_config(digits_root):
    cfg = _cfg(digits_root)
    loader_cfg = cfg.test_dataloader.copy()
    loader_cfg.batch_size = 7
    _, loader = build_model_and_loader(cfg, loader_cfg, teacher_ckpt=None)
    assert loader.batch_size == 7
