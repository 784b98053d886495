# Copyright (c) OpenMMLab. All rights reserved.
"""QuESTVocabularyHook: build, checkpoint, resume, load, loud errors."""
import glob
import os.path as osp
from types import SimpleNamespace
from unittest.mock import Mock

import pytest
import torch
from kd_test_utils import REPO, load_short_cfg
from mmengine.runner import Runner

import mmkd_plus.models.losses.quest_loss as vocab_module
from mmkd_plus.engine.hooks.quest_vocabulary_hook import (QuESTVocabularyHook,
                                                          broadcast_vocabulary,
                                                          load_vocabulary,
                                                          save_vocabulary)
from mmkd_plus.models.architectures.connectors.quest_connector import \
    QuESTConnector  # noqa: F401 (registers it)
from mmkd_plus.models.losses.quest_loss import AGREEMENT_KEY, QuESTLoss

QUEST_DIGITS = osp.join(REPO, 'configs', 'quest',
                        'quest_layer3_resnet20_resnet8_1xb64_digits.py')
VOCAB_KEY = 'distiller.distill_losses.loss_quest.vocab'
READY_KEY = 'distiller.distill_losses.loss_quest.vocab_ready'
K = 16


def _no_kmeans(*args, **kwargs):
    raise AssertionError('k-means must not run')


# --------------------------------------------------------------------------
# Fast: a mock runner
# --------------------------------------------------------------------------


def _mock_runner(loss):
    model = SimpleNamespace(distiller=SimpleNamespace(
        distill_losses={'loss_quest': loss}))
    return Mock(model=model)


def test_skips_when_the_vocabulary_is_there(monkeypatch):
    monkeypatch.setattr(vocab_module, 'kmeans', _no_kmeans)
    loss = QuESTLoss(num_words=3, feat_channels=2)
    loss.set_vocabulary(torch.ones(3, 2))
    runner = _mock_runner(loss)
    assert loss.agreement_key == AGREEMENT_KEY
    QuESTVocabularyHook().before_train(runner)
    message = runner.logger.info.call_args[0][0]
    assert 'skip' in message
    torch.testing.assert_close(loss.vocab, torch.ones(3, 2))
    # the loss logs its word agreement under its own name, even on resume
    assert loss.agreement_key == 'train/quest_word_agreement_loss_quest'


def test_vocab_file_loads_and_checks_width(tmp_path, monkeypatch):
    monkeypatch.setattr(vocab_module, 'kmeans', _no_kmeans)
    good, bad = str(tmp_path / 'good.pth'), str(tmp_path / 'bad.pth')
    torch.save(dict(vocab=torch.arange(6.).view(3, 2)), good)
    torch.save(torch.zeros(3, 5), bad)
    loss = QuESTLoss(num_words=3, feat_channels=2)
    QuESTVocabularyHook(vocab_file=good).before_train(_mock_runner(loss))
    assert loss.is_ready
    torch.testing.assert_close(loss.vocab, torch.arange(6.).view(3, 2))
    loss = QuESTLoss(num_words=3, feat_channels=2)
    with pytest.raises(ValueError, match=r'bad\.pth.*\(3, 5\).*\(3, 2\)'):
        QuESTVocabularyHook(vocab_file=bad).before_train(_mock_runner(loss))
    assert not loss.is_ready
    with pytest.raises(FileNotFoundError, match='vocab_file'):
        QuESTVocabularyHook(vocab_file=str(tmp_path / 'none.pth')) \
            .before_train(_mock_runner(loss))


def test_each_loss_logs_its_word_agreement_under_its_own_key():
    """Two levels (the transfer config): two keys, not one shared."""
    from mmengine.logging import MessageHub
    names = ('loss_quest_layer3', 'loss_quest_layer4')
    losses = {name: QuESTLoss(num_words=2, feat_channels=1) for name in names}
    runner = Mock(model=SimpleNamespace(distiller=SimpleNamespace(
        distill_losses=losses)))
    for name, loss in losses.items():
        loss.set_vocabulary(torch.tensor([[0.], [1.]]))
        QuESTVocabularyHook(loss_name=name).before_train(runner)
    t_map = torch.tensor([0., 1.]).view(1, 1, 1, 2)  # words 0 and 1
    right = torch.tensor([[5., 0.], [0., 5.]]).t().reshape(1, 2, 1, 2)
    losses['loss_quest_layer3'](right, t_map)
    losses['loss_quest_layer4'](right.flip(1), t_map)  # both wrong
    hub = MessageHub.get_current_instance()
    assert hub.get_scalar(
        f'{AGREEMENT_KEY}_loss_quest_layer3').current() == 1.0
    assert hub.get_scalar(
        f'{AGREEMENT_KEY}_loss_quest_layer4').current() == 0.0


def test_config_errors():
    loss = QuESTLoss(num_words=3, feat_channels=2)
    with pytest.raises(KeyError, match='loss_name'):
        QuESTVocabularyHook(loss_name='loss_x').before_train(
            _mock_runner(loss))
    with pytest.raises(ValueError, match='num_words=4'):
        QuESTVocabularyHook(num_words=4).before_train(_mock_runner(loss))
    assert QuESTVocabularyHook.priority == 'VERY_HIGH'


# --------------------------------------------------------------------------
# Slow: short runs on the digits
# --------------------------------------------------------------------------


def _cfg(digits_root, ckpt, work, max_epochs=1, **hook_kwargs):
    hook = dict(_scope_='mmrazor',
                type='QuESTVocabularyHook',
                batch_size=16,
                num_images=32)
    hook.update(hook_kwargs)
    extra = {
        'model.teacher_ckpt': ckpt,
        'model.distiller.connectors.quest_head.num_words': K,
        'model.distiller.distill_losses.loss_quest.num_words': K,
        'custom_hooks': [hook],
    }
    return load_short_cfg(QUEST_DIGITS,
                          digits_root,
                          work,
                          extra=extra,
                          max_epochs=max_epochs,
                          num_train=32,
                          batch_size=16)


def _log_text(work):
    paths = sorted(glob.glob(osp.join(work, '*', '*.log')))
    return '\n'.join(open(p).read() for p in paths)


def _loss_of(runner):
    return runner.model.distiller.distill_losses['loss_quest']


@pytest.mark.slow
def test_builds_saves_and_resume_does_not_rebuild(digits_root,
                                                  digits_teacher_ckpt,
                                                  tmp_path, monkeypatch):
    work = str(tmp_path / 'quest')
    vocab_path = str(tmp_path / 'vocab.pth')
    cfg = _cfg(digits_root,
               digits_teacher_ckpt,
               work,
               save_vocab_file=vocab_path)
    Runner.from_cfg(cfg).train()
    log = _log_text(work)
    assert 'mean closest-word probability' in log
    assert 'from 2048 vectors' in log  # 32 images x 8 x 8 positions
    saved = torch.load(vocab_path, map_location='cpu')
    assert saved['vocab'].shape == (K, 64)
    assert 0 < saved['closest_word_probability'] <= 1
    state = torch.load(osp.join(work, 'epoch_1.pth'),
                       map_location='cpu')['state_dict']
    assert bool(state[READY_KEY])
    torch.testing.assert_close(state[VOCAB_KEY], saved['vocab'])

    # resume to a second epoch: the vocabulary comes from the checkpoint
    monkeypatch.setattr(vocab_module, 'kmeans', _no_kmeans)
    cfg = _cfg(digits_root, digits_teacher_ckpt, work, max_epochs=2)
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert 'restored from a checkpoint): skip building it' in \
        _log_text(work)
    torch.testing.assert_close(_loss_of(runner).vocab, saved['vocab'])
    state = torch.load(osp.join(work, 'epoch_2.pth'),
                       map_location='cpu')['state_dict']
    torch.testing.assert_close(state[VOCAB_KEY], saved['vocab'])

    # a fresh run with vocab_file loads it instead of building
    cfg = _cfg(digits_root,
               digits_teacher_ckpt,
               str(tmp_path / 'load'),
               vocab_file=vocab_path)
    runner = Runner.from_cfg(cfg)
    assert not _loss_of(runner).is_ready
    runner.call_hook('before_train')
    torch.testing.assert_close(_loss_of(runner).vocab, saved['vocab'])


@pytest.mark.slow
def test_build_errors_name_the_keys(digits_root, digits_teacher_ckpt,
                                    tmp_path):
    # K = 16 words from 1 image x 64 positions is fine; K = 128 is not
    cfg = _cfg(digits_root,
               digits_teacher_ckpt,
               str(tmp_path / 'k'),
               num_images=1)
    cfg.model.distiller.connectors.quest_head.num_words = 128
    cfg.model.distiller.distill_losses.loss_quest.num_words = 128
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'num_words.*num_images'):
        runner.call_hook('before_train')
    # a teacher recorder whose module is not on the forward path
    cfg = _cfg(digits_root, digits_teacher_ckpt, str(tmp_path / 'rec'))
    cfg.model.distiller.teacher_recorders.quest.source = 'head.loss_module'
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RuntimeError, match='recorded nothing'):
        runner.call_hook('before_train')


@pytest.mark.slow
def test_explicit_dataloader_entry(digits_root, digits_teacher_ckpt,
                                   tmp_path):
    """The hook key `dataloader` replaces the default (train set, test
    pipeline): here the first 16 test images."""
    work = str(tmp_path / 'explicit')
    loader = dict(
        batch_size=8,
        num_workers=0,
        dataset=dict(
            _scope_='mmpretrain',
            type='DigitsCIFAR',
            data_root=digits_root,
            split='test',
            indices=16,
            pipeline=[dict(type='PackInputs')]),
        sampler=dict(type='DefaultSampler', shuffle=False))
    cfg = _cfg(digits_root, digits_teacher_ckpt, work, dataloader=loader)
    runner = Runner.from_cfg(cfg)
    runner.call_hook('before_train')
    assert _loss_of(runner).is_ready
    log = _log_text(work)
    assert 'teacher features of 16 of 16 images' in log
    assert 'from 1024 vectors' in log  # 16 images x 8 x 8 positions


VOCAB = torch.tensor([[0., 0.], [10., 0.], [0., 10.]])


def test_save_then_load_round_trip(tmp_path):
    loss = QuESTLoss(num_words=3, feat_channels=2, tau=0.3, downscale=2)
    loss.set_vocabulary(VOCAB)
    path = str(tmp_path / 'sub' / 'vocab.pth')
    save_vocabulary(loss, path, num_images=7)
    saved = torch.load(path)
    assert saved['tau'] == 0.3 and saved['downscale'] == 2
    assert saved['num_images'] == 7
    other = QuESTLoss(num_words=3, feat_channels=2)
    load_vocabulary(other, path)
    assert other.is_ready
    torch.testing.assert_close(other.vocab, VOCAB)
    # a bare tensor file works too
    torch.save(VOCAB * 2, str(tmp_path / 'bare.pth'))
    load_vocabulary(other, str(tmp_path / 'bare.pth'))
    torch.testing.assert_close(other.vocab, VOCAB * 2)


def test_load_and_save_errors(tmp_path):
    loss = QuESTLoss(num_words=3, feat_channels=2)
    with pytest.raises(RuntimeError, match='No vocabulary to save'):
        save_vocabulary(loss, str(tmp_path / 'x.pth'))
    with pytest.raises(FileNotFoundError, match='vocab_file=.*none.pth'):
        load_vocabulary(loss, str(tmp_path / 'none.pth'))
    torch.save(dict(words=VOCAB), str(tmp_path / 'keys.pth'))
    with pytest.raises(TypeError, match="'vocab' tensor"):
        load_vocabulary(loss, str(tmp_path / 'keys.pth'))
    torch.save(torch.zeros(4, 2), str(tmp_path / 'wide.pth'))
    with pytest.raises(ValueError, match=r'\(4, 2\).*\(3, 2\)'):
        load_vocabulary(loss, str(tmp_path / 'wide.pth'))
    assert not loss.is_ready


def test_broadcast_in_one_process_returns_stats_or_raises():
    loss = QuESTLoss(num_words=3, feat_channels=2)
    loss.set_vocabulary(VOCAB)
    assert broadcast_vocabulary(loss, dict(prob=0.9)) == dict(prob=0.9)
    assert broadcast_vocabulary(loss) is None
    with pytest.raises(ValueError, match='no words'):
        broadcast_vocabulary(loss, ValueError('no words'))
    torch.testing.assert_close(loss.vocab, VOCAB)
