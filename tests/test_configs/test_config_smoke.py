# Copyright (c) OpenMMLab. All rights reserved.
"""Every config under configs/ parses, is a drop-in config, and builds."""
import glob
import os.path as osp

import pytest
from kd_test_utils import REPO
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p.split(osp.sep))


def _rel(path: str) -> str:
    return osp.relpath(path, REPO)


def test_there_are_configs():
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_parses_and_builds(path):
    cfg = Config.fromfile(path)
    # drop-in: MMEngine imports the plugin before building anything
    assert cfg.custom_imports == dict(
        imports=['mmkd_plus'], allow_failed_imports=False)
    # no config may download: datasets are the local-only ones
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        if dataset.type.split('.')[-1] == 'CRDDatasetWrapper':
            dataset = dataset.dataset
        assert dataset.type in ('LocalCIFAR10', 'LocalCIFAR100',
                                'LocalImageNet', 'DigitsCIFAR',
                                'CustomDataset'), dataset
        assert not dataset.get('download', False)
    model_cfg = cfg.model.copy()
    if 'teacher_ckpt' in model_cfg:
        assert model_cfg.teacher_ckpt, 'a distillation config needs one'
        model_cfg.teacher_ckpt = None
        # MMRazor's validation loop also evaluates the teacher
        assert cfg.val_cfg.type == 'mmrazor.SingleTeacherDistillValLoop'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    assert sum(p.numel() for p in model.parameters()) > 0
