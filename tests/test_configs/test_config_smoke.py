# Copyright (c) OpenMMLab. All rights reserved.
"""Every config under configs/ parses, is a drop-in config, and builds."""
import glob
import os.path as osp

import pytest
import yaml
from kd_test_utils import REPO
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p.split(osp.sep)
    and not osp.basename(p).startswith('_base_'))


def _rel(path: str) -> str:
    return osp.relpath(path, REPO)


def _metafile_configs() -> set:
    with open(osp.join(REPO, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    listed = set()
    for path in imports:
        with open(osp.join(REPO, path)) as f:
            listed |= {m['Config'] for m in yaml.safe_load(f)['Models']}
    return listed


def test_every_config_is_listed_or_feeds_a_listed_one():
    """A leaf missing from every metafile must be a first stage whose
    checkpoint a listed config loads (load_from or a digits pair's
    teacher), or a short alias that inherits a listed config."""
    listed = _metafile_configs()
    rels = {_rel(p): p for p in CONFIGS}
    assert listed <= set(rels), listed - set(rels)
    fed = set()
    for rel in listed:
        cfg = Config.fromfile(rels[rel])
        for ckpt in (cfg.get('load_from'), cfg.model.get('teacher_ckpt')):
            if ckpt and ckpt.startswith('work_dirs/'):
                fed.add(ckpt.split('/')[1])
    for rel, path in rels.items():
        if rel in listed:
            continue
        name = osp.splitext(osp.basename(path))[0]
        with open(path) as f:
            text = f.read()
        alias = any(
            f"'./{osp.basename(other)}'" in text for other in listed
            if osp.dirname(other) == osp.dirname(rel))
        assert name in fed or alias, f'{rel}: in no metafile'


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_parses_and_builds(path):
    cfg = Config.fromfile(path)
    # drop-in: MMEngine imports the plugin before building anything
    assert cfg.custom_imports == dict(
        imports=['mmkd_plus'], allow_failed_imports=False)
    # no config may download: datasets are the local-only ones
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        while dataset.type.split('.')[-1] in ('CRDDatasetWrapper',
                                              'TeacherCacheDataset'):
            dataset = dataset.dataset
        assert dataset.type in ('LocalCIFAR10', 'LocalCIFAR100',
                                'LocalImageNet', 'DigitsCIFAR',
                                'CustomDataset', 'CIFAR10S', 'DigitsS',
                                'UTKFace', 'CelebA'), dataset
        assert not dataset.get('download', False)
    model_cfg = cfg.model.copy()
    # teacher_ckpt, and SSKD's stage-1 checkpoint teacher_ss_ckpt
    for key in [k for k in model_cfg if k.endswith('_ckpt')]:
        assert model_cfg[key], f'model.{key}: a distillation config needs one'
        model_cfg[key] = None
    if model_cfg.type == 'CachedTeacherDistill':
        # its teacher has no weights: the validation loop is the student's
        assert cfg.val_cfg.type == 'ValLoop'
    elif 'teacher' in model_cfg:
        # MMRazor's validation loop also evaluates the teacher
        assert cfg.val_cfg.type == 'mmrazor.SingleTeacherDistillValLoop'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    assert sum(p.numel() for p in model.parameters()) > 0
