# Copyright (c) OpenMMLab. All rights reserved.
"""TeacherFeatureExtractor: the teacher vectors a QuEST vocabulary is
built from (eval mode, explicit dataloader, bounded seeded sample)."""
import os.path as osp

import pytest
import torch
from kd_test_utils import REPO
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from mmkd_plus.engine import (TeacherFeatureExtractor, find_quest_loss,
                              vocabulary_dataloader)

QUEST_DIGITS = osp.join(REPO, 'configs', 'quest',
                        'quest_layer3_resnet20_resnet8_1xb64_digits.py')


@pytest.fixture
def digits(digits_root):
    cfg = Config.fromfile(QUEST_DIGITS)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = digits_root
    cfg.train_dataloader.num_workers = 0
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = None  # a random teacher is enough here
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    yield cfg, model


def test_default_dataloader_is_the_train_set_through_the_test_pipeline():
    cfg = Config.fromfile(QUEST_DIGITS)
    loader = vocabulary_dataloader(cfg, batch_size=8)
    assert loader['batch_size'] == 8
    assert loader['sampler'] == dict(
        type='DefaultSampler', shuffle=False, round_up=False)
    dataset = dict(loader['dataset'])
    train = dict(cfg.train_dataloader.dataset)
    assert dataset.pop('pipeline') == cfg.test_dataloader.dataset.pipeline
    assert train.pop('pipeline') != cfg.test_dataloader.dataset.pipeline
    assert dataset == train and dataset['split'] == 'train'
    del cfg.test_dataloader.dataset.pipeline
    del cfg.val_dataloader.dataset.pipeline
    with pytest.raises(ValueError, match='test_dataloader.dataset.pipeline'):
        vocabulary_dataloader(cfg)


def test_extracts_a_bounded_seeded_sample_in_eval_mode(digits):
    cfg, model = digits
    loss = find_quest_loss(model, 'loss_quest')
    model.teacher.train()
    modes = []
    model.teacher.register_forward_pre_hook(
        lambda module, args: modes.append(module.training))

    def extract(seed):
        extractor = TeacherFeatureExtractor(
            model, loss, 'loss_quest', vocabulary_dataloader(cfg, 8),
            num_images=20, seed=3)
        assert extractor.num_images == 20
        return extractor.extract(capacity=500, seed=seed)

    feats, seen = extract(seed=0)
    assert seen == 20 * 8 * 8  # 20 images x 8 x 8 positions of layer3
    assert feats.shape == (500, 64) and feats.device.type == 'cpu'
    assert modes == [False] * 3  # batches of 8, 8, 4 in eval mode
    assert model.teacher.training  # its mode restored
    again, _ = extract(seed=0)
    other, _ = extract(seed=1)
    assert torch.equal(feats, again) and not torch.equal(feats, other)


def test_explicit_dataloader_and_recorder_errors(digits):
    cfg, model = digits
    loss = find_quest_loss(model, 'loss_quest')
    # an explicit entry: the first 16 test images, batches of 16
    loader = dict(
        batch_size=16,
        num_workers=0,
        dataset=dict(cfg.test_dataloader.dataset, indices=16),
        sampler=dict(type='DefaultSampler', shuffle=False))
    extractor = TeacherFeatureExtractor(model, loss, 'loss_quest', loader)
    feats, seen = extractor.extract(capacity=10**6, seed=0)
    assert extractor.total_images == extractor.num_images == 16
    assert feats.shape == (16 * 64, 64) and seen == 16 * 64

    with pytest.raises(KeyError, match="'nope' is not in"):
        TeacherFeatureExtractor(model, loss, 'loss_quest', loader, 'nope')
    loss.feat_channels = 32
    with pytest.raises(ValueError, match='64-channel.*feat_channels=32'):
        TeacherFeatureExtractor(model, loss, 'loss_quest',
                                loader).extract(10, 0)


def test_find_quest_loss_errors(digits):
    _, model = digits
    with pytest.raises(KeyError, match="loss_name='loss_x'"):
        find_quest_loss(model, 'loss_x')
    with pytest.raises(ValueError, match='num_words=4 differs'):
        find_quest_loss(model, 'loss_quest', num_words=4)
    with pytest.raises(RuntimeError, match='distill_losses'):
        find_quest_loss(torch.nn.Linear(1, 1), 'loss_quest')
