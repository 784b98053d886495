# Copyright (c) OpenMMLab. All rights reserved.
"""Training from a teacher cache: every epoch reads its own cache epoch
(a resumed run too); a cache of another config, a missing or broken file
and more epochs than cached stop before training; cyclic reuse warns."""
import glob
import itertools
import os
import os.path as osp
import shutil

import pytest
import torch
from kd_test_utils import (CACHED_KD_DIGITS, build_teacher_cache,
                           load_short_cfg, load_tool)
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

NUM_TRAIN = 32  # 2 iterations of 16 an epoch
_RUNS = itertools.count()


@HOOKS.register_module(force=True)
class _CacheIndexProbe(Hook):
    """The (training epoch, [(cache epoch, sample), ...]) of every batch."""

    seen: list = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        _CacheIndexProbe.seen.append(
            (runner.epoch,
             [s.teacher_cache_index for s in data_batch['data_samples']]))


HOOKS_WITH_PROBE = [
    dict(type='mmrazor.TeacherCacheHook'),
    dict(type='_CacheIndexProbe')
]


@pytest.fixture(scope='module')
def cache(digits_root, digits_teacher_ckpt, tmp_path_factory):
    """A 2-epoch cache of the first 32 digits, built by the tool."""
    work = str(tmp_path_factory.mktemp('cache_run'))
    return build_teacher_cache(
        CACHED_KD_DIGITS, [
            f'train_dataloader.dataset.data_root={digits_root}',
            f'train_dataloader.dataset.indices={NUM_TRAIN}',
            f'model.teacher_ckpt={digits_teacher_ckpt}'
        ],
        epochs=2,
        args=['--work-dir', work])


def _cfg(cache_root, digits_root, ckpt, work, max_epochs=2, **extra):
    options = {
        'model.teacher_ckpt': ckpt,
        'train_dataloader.dataset.cache_dir': cache_root,
        'custom_hooks': HOOKS_WITH_PROBE,
        # runners of one process must not share MMEngine's named instances
        'experiment_name': f'teacher_cache_hook_{next(_RUNS)}',
    }
    options.update(extra)
    return load_short_cfg(
        CACHED_KD_DIGITS,
        digits_root,
        work,
        max_epochs=max_epochs,
        num_train=NUM_TRAIN,
        extra=options)


def _train(cfg):
    _CacheIndexProbe.seen = []
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner, list(_CacheIndexProbe.seen)


def test_each_epoch_reads_its_cache_epoch_and_resume_continues(
        cache, digits_root, digits_teacher_ckpt, tmp_path):
    full, seen = _train(
        _cfg(cache.root, digits_root, digits_teacher_ckpt,
             str(tmp_path / 'full')))
    for epoch in (0, 1):
        pairs = [p for e, batch in seen if e == epoch for p in batch]
        assert {c for c, _ in pairs} == {epoch}
        assert sorted(i for _, i in pairs) == list(range(NUM_TRAIN))
    uninterrupted_epoch1 = [batch for e, batch in seen if e == 1]

    # one epoch, then a resume to two: the second epoch reads cache epoch
    # 1, in the uninterrupted run's order
    work = str(tmp_path / 'resumed')
    _train(_cfg(cache.root, digits_root, digits_teacher_ckpt, work, 1))
    cfg = _cfg(cache.root, digits_root, digits_teacher_ckpt, work, 2)
    cfg.resume, cfg.load_from = True, osp.join(work, 'epoch_1.pth')
    _, seen = _train(cfg)
    assert [batch for _, batch in seen] == uninterrupted_epoch1

    # the checkpoint holds no teacher, and tools/test.py evaluates the
    # student alone
    ckpt = osp.join(str(tmp_path / 'full'), 'epoch_2.pth')
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    assert state and not any(k.startswith('teacher.') for k in state)
    metrics = load_tool('test.py').main([
        CACHED_KD_DIGITS, ckpt, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        f'test_dataloader.dataset.data_root={digits_root}'
    ])
    assert 'accuracy/top1' in metrics
    assert not any(k.startswith('teacher.') for k in metrics)


def test_a_cache_of_another_config_lists_every_difference(
        cache, digits_root, digits_teacher_ckpt, tmp_path):
    other_ckpt = str(tmp_path / 'other_teacher.pth')
    saved = torch.load(digits_teacher_ckpt, map_location='cpu')
    saved['meta'] = dict(saved.get('meta') or {}, note='another file')
    torch.save(saved, other_ckpt)
    cfg = _cfg(
        cache.root, digits_root, other_ckpt, str(tmp_path / 'w'),
        **{
            'randomness.seed': 1,
            'train_dataloader.dataset.dataset.pipeline.0.padding': 2
        })
    with pytest.raises(ValueError) as err:
        _train(cfg)
    msg = str(err.value)
    assert msg.startswith(f'The teacher cache {cache.root!r} was built for '
                          'another config:\n  - the teacher checkpoint:')
    lines = msg.splitlines()
    assert len([ln for ln in lines if ln.startswith('  - ')]) == 3
    assert lines[1].endswith('; key model.teacher_ckpt')
    assert lines[2].startswith('  - the training pipeline:') and \
        lines[2].endswith('key train_dataloader.dataset.dataset.pipeline')
    assert lines[3] == ('  - the seed of the random views: the cache has 0, '
                        'the config 1; key randomness.seed')
    assert 'python tools/cache_teacher.py' in lines[-1]

    cfg = _cfg(cache.root, digits_root, digits_teacher_ckpt,
               str(tmp_path / 'w2'),
               **{'train_dataloader.dataset.indices': 16})
    with pytest.raises(ValueError,
                       match='the number of training samples: the cache has '
                       r'32, the config 16; key train_dataloader.dataset '
                       r'\(its data_root, split or indices\)'):
        _train(cfg)


def _broken_copy(cache, tmp_path, breaks):
    root = str(tmp_path / 'copy')
    shutil.copytree(cache.root, root)
    path = osp.join(root, 'epoch_0001', 'shard_000', 'fc.npy')
    breaks(path)
    return root, path


def test_missing_truncated_and_unwritten_files_stop_before_training(
        cache, digits_root, digits_teacher_ckpt, tmp_path):
    build = cache.manifest['build_command']
    root, path = _broken_copy(cache, tmp_path / 'a', os.remove)
    with pytest.raises(FileNotFoundError) as err:
        _train(_cfg(root, digits_root, digits_teacher_ckpt,
                    str(tmp_path / 'a' / 'w')))
    assert str(err.value) == (f'Teacher cache file {path!r} is missing. '
                              f'Build it again with: {build}')

    def truncate(p):
        with open(p, 'r+b') as f:
            f.truncate(100)

    root, path = _broken_copy(cache, tmp_path / 'b', truncate)
    with pytest.raises(ValueError, match=f'file {path!r} is truncated or '
                       'corrupt'):
        _train(_cfg(root, digits_root, digits_teacher_ckpt,
                    str(tmp_path / 'b' / 'w')))

    empty = str(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError) as err:
        _train(_cfg(empty, digits_root, digits_teacher_ckpt,
                    str(tmp_path / 'c')))
    assert str(err.value).startswith(
        f"No teacher cache at {empty!r} (manifest.json is missing). Build "
        'it with: python tools/cache_teacher.py '
        f'{osp.relpath(CACHED_KD_DIGITS)} --epochs 2 --cfg-options '
        f'train_dataloader.dataset.cache_dir={empty} (with the other '
        '--cfg-options of this run)')


def test_more_epochs_than_cached_stop_or_cycle(cache, digits_root,
                                               digits_teacher_ckpt, tmp_path):
    with pytest.raises(ValueError) as err:
        _train(_cfg(cache.root, digits_root, digits_teacher_ckpt,
                    str(tmp_path / 'a'), max_epochs=3))
    msg = str(err.value)
    assert msg.startswith(f'train_cfg.max_epochs=3, but the teacher cache '
                          f'{cache.root!r} holds 2 epochs. Build the others '
                          '(--epochs 3): python tools/cache_teacher.py ')
    assert msg.endswith('or set train_dataloader.dataset.cyclic_epochs=True '
                        'to reuse the cached epochs cyclically.')

    work = str(tmp_path / 'b')
    _, seen = _train(
        _cfg(cache.root, digits_root, digits_teacher_ckpt, work,
             max_epochs=3,
             **{'train_dataloader.dataset.cyclic_epochs': True}))
    assert [{c for c, _ in batch} for _, batch in seen] == \
        [{0}, {0}, {1}, {1}, {0}, {0}]
    (log, ) = glob.glob(osp.join(work, '*', '*.log'))
    with open(log) as f:
        text = f.read()
    assert text.count('on a teacher cache of 2 epochs: epoch e replays '
                      'cached epoch e mod 2') == 1


def test_the_run_must_be_set_up_for_a_cache(cache, digits_root,
                                            digits_teacher_ckpt, tmp_path):
    cfg = _cfg(cache.root, digits_root, digits_teacher_ckpt,
               str(tmp_path / 'a'))
    cfg.train_dataloader.sampler.type = 'DefaultSampler'
    with pytest.raises(TypeError, match="sampler.type must be "
                       "'EpochTaggedSampler'"):
        _train(cfg)
    cfg = _cfg(cache.root, digits_root, digits_teacher_ckpt,
               str(tmp_path / 'b'))
    cfg.model.type = 'CheckedSingleTeacherDistill'
    with pytest.raises(TypeError, match="model.type must be "
                       "'CachedTeacherDistill'"):
        _train(cfg)
