# Copyright (c) OpenMMLab. All rights reserved.
"""tools/cache_teacher.py: what it writes, resuming an interrupted build,
adding epochs, top-k storage, refusals, and a build and a training run
under DDP (two gloo processes) that each handle their own samples."""
import hashlib
import json
import os.path as osp
import re
import shutil

import numpy as np
import pytest
import torch
from kd_test_utils import (CACHED_KD_DIGITS, REPO, build_teacher_cache,
                           load_tool, run_dist_tool, short_run_options)

from mmkd_plus.datasets import TeacherCache

NUM_TRAIN = 20


def _options(digits_root, ckpt, work, *extra, num_train=NUM_TRAIN):
    return [
        f'train_dataloader.dataset.data_root={digits_root}',
        f'train_dataloader.dataset.indices={num_train}',
        'train_dataloader.batch_size=8', f'model.teacher_ckpt={ckpt}',
        f'work_dir={work}', *extra
    ]


@pytest.fixture(scope='module')
def full_cache(digits_root, digits_teacher_ckpt, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('full'))
    options = _options(digits_root, digits_teacher_ckpt, work)
    return build_teacher_cache(CACHED_KD_DIGITS, options, epochs=2), options


def test_it_writes_a_manifest_and_every_row(full_cache, digits_teacher_ckpt):
    cache, options = full_cache
    assert cache.root == osp.join(options[-1][len('work_dir='):],
                                  'teacher_cache')
    manifest = cache.manifest
    assert manifest['epochs'] == 2 and manifest['shards'] == 1
    with open(digits_teacher_ckpt, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    config = manifest['config']
    assert config['teacher_ckpt'] == dict(path=digits_teacher_ckpt,
                                          sha256=sha)
    assert config['teacher_recorders'] == {'fc': 'head.fc'}
    assert config['dataset_length'] == NUM_TRAIN and config['seed'] == 0
    assert config['pipeline'] == [
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='PackInputs')
    ]
    assert manifest['views'] == [
        dict(key='view_0', type='RandomCrop',
             params=['offset_h', 'offset_w', 'target_h', 'target_w'])
    ]
    assert manifest['outputs'] == dict(
        fc=dict(structure='tensor',
                parts=[dict(storage='float16', width=10)]))
    assert manifest['build_command'] == (
        'python tools/cache_teacher.py ' + CACHED_KD_DIGITS +
        ' --epochs 2 --cfg-options ' + ' '.join(options))
    for epoch in (0, 1):
        arrays = cache.open_shard(epoch, 0)
        assert arrays['fc'].shape == (NUM_TRAIN, 10)
        assert arrays['fc'].dtype == np.float16
        assert arrays['done'].all()
        boxes = arrays['view_0']
        # 32 x 32 crops of the 40 x 40 zero-padded digits
        assert (boxes[:, 2:] == 32).all()
        assert boxes[:, :2].min() >= 0 and boxes[:, :2].max() <= 8
    assert not np.array_equal(
        cache.open_shard(0, 0)['view_0'],
        cache.open_shard(1, 0)['view_0'])


def test_an_interrupted_build_resumes(full_cache, digits_root,
                                      digits_teacher_ckpt, tmp_path, capsys):
    cache, _ = full_cache
    work = str(tmp_path)
    options = _options(digits_root, digits_teacher_ckpt, work)
    shutil.copytree(cache.root, osp.join(work, 'teacher_cache'))
    copy = TeacherCache(osp.join(work, 'teacher_cache'))
    arrays = copy.open_shard(1, 0, 'r+')
    before = np.array(arrays['fc'])
    # rows 3..9 of epoch 1 were never written; row 0 was (a sentinel
    # shows that it is not written again)
    arrays['done'][3:10] = 0
    arrays['fc'][3:10] = 0
    arrays['fc'][0] = 42
    for array in arrays.values():
        array.flush()
    # and a file of epoch 0 was cut short
    path = osp.join(copy.shard_dir(0, 0), 'view_0.npy')
    with open(path, 'r+b') as f:
        f.truncate(64)
    capsys.readouterr()
    build_teacher_cache(CACHED_KD_DIGITS, options, epochs=2)
    out = capsys.readouterr().out
    assert 'cannot be resumed' in out and 'shard_000' in out
    assert f'2 epochs x {NUM_TRAIN} samples; {NUM_TRAIN + 7} views to ' \
        'write' in out
    after = TeacherCache(copy.root)
    after.check(2)
    fc = after.open_shard(1, 0)['fc']
    assert (fc[0] == 42).all()
    # the same views (drawn from seed, epoch, sample), so the same logits
    assert np.allclose(fc[3:10].astype(np.float32),
                       before[3:10].astype(np.float32), rtol=2**-10)
    assert np.array_equal(
        after.open_shard(0, 0)['view_0'],
        cache.open_shard(0, 0)['view_0'])


def test_more_epochs_are_added(digits_root, digits_teacher_ckpt, tmp_path):
    options = _options(digits_root, digits_teacher_ckpt, str(tmp_path))
    cache = build_teacher_cache(CACHED_KD_DIGITS, options, epochs=1)
    arrays = cache.open_shard(0, 0, 'r+')
    arrays['fc'][:] = 7
    arrays['fc'].flush()
    cache = build_teacher_cache(CACHED_KD_DIGITS, options, epochs=2)
    assert cache.manifest['epochs'] == 2
    assert '--epochs 2' in cache.manifest['build_command']
    assert (cache.open_shard(0, 0)['fc'] == 7).all()
    assert cache.open_shard(1, 0)['done'].all()


def test_another_config_is_not_resumed(full_cache, digits_root,
                                       digits_teacher_ckpt):
    cache, options = full_cache
    with pytest.raises(ValueError) as err:
        build_teacher_cache(
            CACHED_KD_DIGITS, options + ['randomness.seed=3'], epochs=2)
    msg = str(err.value)
    assert msg.startswith(f'{cache.root!r} holds a teacher cache built for '
                          'another config:\n  - the seed of the random '
                          'views: the cache has 0, the config 3; key '
                          'randomness.seed\n')
    assert 'delete that directory' in msg


def test_topk_logits_keep_the_largest(full_cache, digits_root,
                                      digits_teacher_ckpt, tmp_path):
    full, _ = full_cache
    options = _options(digits_root, digits_teacher_ckpt, str(tmp_path),
                       'train_dataloader.dataset.topk.fc=3')
    cache = build_teacher_cache(CACHED_KD_DIGITS, options, epochs=1)
    part = cache.manifest['outputs']['fc']['parts'][0]
    assert part == dict(storage='topk', width=10, k=3, tau=4.0)
    arrays = cache.open_shard(0, 0)
    assert arrays['fc.values'].shape == (NUM_TRAIN, 3)
    assert arrays['fc.indices'].dtype == np.int16
    for i in range(NUM_TRAIN):
        z, approx = full.read(0, i)[1]['fc'], cache.read(0, i)[1]['fc']
        top = np.argsort(-z)[:3]
        assert sorted(arrays['fc.indices'][i].tolist()) == sorted(
            top.tolist())
        p = torch.softmax(torch.from_numpy(z) / 4, 0)
        q = torch.softmax(torch.from_numpy(approx) / 4, 0)
        assert torch.allclose(q[top], p[top], atol=2e-3)
        rest = np.setdiff1d(np.arange(10), top)
        assert np.allclose(approx[rest], approx[rest][0])


def test_what_it_cannot_cache(digits_root, digits_teacher_ckpt, tmp_path):
    options = _options(digits_root, digits_teacher_ckpt, str(tmp_path))
    with pytest.raises(ValueError, match=r"teacher_recorders.fc \(source="
                       r"'backbone.layer3'\) records \(1, 64, 8, 8\): a "
                       'teacher cache stores vectors'):
        build_teacher_cache(
            CACHED_KD_DIGITS, options + [
                'model.distiller.teacher_recorders.fc.source='
                'backbone.layer3',
                'model.distiller.student_recorders.fc.source='
                'backbone.layer3'
            ],
            epochs=1)
    with pytest.raises(ValueError, match='model.teacher_ckpt is not set'):
        build_teacher_cache(
            CACHED_KD_DIGITS, options + ['model.teacher_ckpt=None'], epochs=1)
    with pytest.raises(ValueError, match='randomness.seed is None'):
        build_teacher_cache(
            CACHED_KD_DIGITS, options + ['randomness.seed=None'], epochs=1)
    with pytest.raises(ValueError, match="model.type='CheckedSingleTeacher"
                       "Distill': tools/cache_teacher.py builds the cache of "
                       'a config with'):
        build_teacher_cache(
            CACHED_KD_DIGITS,
            options + ['model.type=CheckedSingleTeacherDistill'],
            epochs=1)


# a hook that writes the (epoch, cache epoch, sample) of every sample each
# rank trains on
PROBE = '''
import json, os
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class CacheProbe(Hook):

    def __init__(self):
        self.seen = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.seen += [[runner.epoch, *s.teacher_cache_index]
                      for s in data_batch['data_samples']]

    def after_run(self, runner):
        with open(os.path.join(runner.work_dir,
                               f'rank{get_rank()}.json'), 'w') as f:
            json.dump(self.seen, f)
'''


@pytest.mark.slow
def test_ddp_build_and_training_split_the_samples(full_cache, digits_root,
                                                  digits_teacher_ckpt,
                                                  tmp_path, monkeypatch):
    full, _ = full_cache
    with open(tmp_path / 'cache_probe.py', 'w') as f:
        f.write(PROBE)
    config = str(tmp_path / 'kd_cached_probe.py')
    with open(config, 'w') as f:
        f.write(f'_base_ = [{CACHED_KD_DIGITS!r}]\n'
                "custom_imports = dict(imports=['mmkd_plus', "
                "'cache_probe'], allow_failed_imports=False)\n"
                "custom_hooks = [dict(type='mmrazor.TeacherCacheHook'), "
                "dict(type='CacheProbe')]\n")
    monkeypatch.setenv('PYTHONPATH', str(tmp_path))
    work = str(tmp_path / 'work')
    options = _options(digits_root, digits_teacher_ckpt, work)[:-1]
    run_dist_tool('dist_cache_teacher.sh', config, '2', '--epochs', '2',
                  '--work-dir', work, '--cfg-options', *options, cwd=REPO)
    cache = TeacherCache(osp.join(work, 'teacher_cache'))
    assert cache.shards == 2
    for epoch in (0, 1):
        # shard s holds samples s, s + 2, ...: the 1-process cache's rows
        for shard in (0, 1):
            arrays = cache.open_shard(epoch, shard)
            assert arrays['done'].all()
            rows = full.open_shard(epoch, 0)
            assert np.array_equal(arrays['view_0'],
                                  rows['view_0'][shard::2])
            assert np.allclose(
                arrays['fc'].astype(np.float32),
                rows['fc'][shard::2].astype(np.float32),
                rtol=2**-10)
    # two processes train from it, 2 epochs of 20 samples in batches of 4
    run_dist_tool(
        'dist_train.sh', config, '2', '--cfg-options',
        *short_run_options(digits_root, work, max_epochs=2,
                           num_train=NUM_TRAIN, batch_size=4),
        f'model.teacher_ckpt={digits_teacher_ckpt}', cwd=REPO)
    seen = []
    for rank in (0, 1):
        with open(osp.join(work, f'rank{rank}.json')) as f:
            seen.append(json.load(f))
    for epoch in (0, 1):
        shares = [{i for e, c, i in s if e == epoch} for s in seen]
        assert all(c == epoch for s in seen for e, c, _ in s if e == epoch)
        assert not shares[0] & shares[1]
        assert shares[0] | shares[1] == set(range(NUM_TRAIN))
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))


def test_build_cost_against_a_teacher_only_pass():
    tool = load_tool('cache_teacher.py')
    line = tool.build_cost(dict(data=2.0, teacher=6.0, writing=0.4))
    assert line == ('build time 8.40 s: views 2.00 s, teacher 6.00 s, '
                    'writing 0.40 s; 1.050x a teacher-only pass over the same '
                    'views')


def test_a_build_reports_its_cost(digits_root, digits_teacher_ckpt, tmp_path,
                                  capsys):
    options = _options(digits_root, digits_teacher_ckpt, str(tmp_path))
    build_teacher_cache(CACHED_KD_DIGITS, options, epochs=1)
    out = capsys.readouterr()
    found = re.findall(r'build time ([\d.]+) s: .*; ([\d.]+)x a teacher-only',
                       out.out + out.err)
    assert found, out
    spent, ratio = map(float, found[-1])
    assert spent >= 0 and ratio >= 1.0
