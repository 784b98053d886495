# Copyright (c) OpenMMLab. All rights reserved.
"""A teacher cache's files: top-k logits, shards, reading, the errors
about missing, truncated and unfinished files, and config mismatches."""
import os
import pickle

import numpy as np
import pytest
import torch

from mmkd_plus.datasets.teacher_cache import (FORMAT, TeacherCache,
                                              config_mismatches, topk_compress,
                                              topk_expand, topk_kl,
                                              topk_temperatures)

BUILD = 'python tools/cache_teacher.py X.py --epochs 2'


def test_topk_keeps_the_top_probabilities_and_spreads_the_rest():
    torch.manual_seed(0)
    logits = torch.randn(5, 12) * 3
    tau = 4.0
    values, indices, rest = topk_compress(logits, 3, tau)
    full = torch.from_numpy(
        topk_expand(values.numpy(), indices.numpy(), rest.numpy(), 12))
    p = torch.softmax(logits / tau, dim=1)
    q = torch.softmax(full / tau, dim=1)
    top = logits.topk(3, dim=1).indices
    # the top 3 classes keep their probabilities exactly
    assert torch.allclose(q.gather(1, top), p.gather(1, top), atol=1e-6)
    # the 9 others share the mass they had, equally
    others = torch.ones_like(p, dtype=torch.bool).scatter(1, top, False)
    for row in range(5):
        shares = q[row][others[row]]
        assert torch.allclose(shares, shares.mean().expand(9), atol=1e-7)
        assert shares.sum().item() == pytest.approx(
            p[row][others[row]].sum().item(), abs=1e-6)
    # the divergence: by hand, sum p log(p / q)
    kl = (p * (p.log() - q.log())).sum(dim=1)
    assert torch.allclose(topk_kl(logits, 3, tau), kl, atol=1e-6)
    assert (kl > 0).all() and torch.allclose(
        topk_kl(logits, 11, tau), torch.zeros(5), atol=1e-6)


def test_topk_needs_fewer_than_all_classes():
    with pytest.raises(ValueError, match='1 <= k < 4'):
        topk_compress(torch.zeros(1, 4), 4, 1.0)


def test_topk_temperature_is_the_losses():
    model = dict(
        distiller=dict(
            distill_losses=dict(
                kd=dict(type='KLDivergence', tau=4),
                dkd=dict(type='DKDLoss', tau=2)),
            loss_forward_mappings=dict(
                kd=dict(
                    preds_S=dict(from_student=True, recorder='fc'),
                    preds_T=dict(from_student=False, recorder='fc')),
                dkd=dict(
                    preds_S=dict(from_student=True, recorder='fc'),
                    preds_T=dict(from_student=False, recorder='fc2')))))
    assert topk_temperatures(model, dict(fc=5, fc2=3)) == dict(fc=4., fc2=2.)
    model['distiller']['loss_forward_mappings']['dkd']['preds_T'][
        'recorder'] = 'fc'
    with pytest.raises(ValueError, match="losses read them at"):
        topk_temperatures(model, dict(fc=5))


def _manifest(length=7, shards=2, epochs=2):
    return dict(
        format=FORMAT,
        build_command=BUILD,
        epochs=epochs,
        shards=shards,
        config=dict(dataset_length=length),
        views=[dict(key='view_0', type='RandomCrop', params=['a', 'b'])],
        outputs=dict(
            fc=dict(
                structure='tensor',
                parts=[dict(storage='topk', width=6, k=2, tau=4.0)]),
            feat=dict(
                structure='tuple',
                parts=[dict(storage='float16', width=3)])))


def _write(root, manifest):
    """Sample i of epoch e: view (e, i), feature i + e / 10, logits from
    a generator seeded with (e, i)."""
    cache = TeacherCache(root)
    cache.write_manifest(manifest)
    logits = {}
    for epoch in range(cache.epochs):
        for shard in range(cache.shards):
            arrays = cache.open_shard(epoch, shard, 'w+')
            for row in range(cache.shard_rows(shard)):
                i = shard + row * cache.shards
                z = torch.from_numpy(
                    np.random.RandomState(epoch * 100 + i).randn(1, 6))
                logits[(epoch, i)] = z[0]
                values, indices, rest = topk_compress(z, 2, 4.0)
                arrays['view_0'][row] = (epoch, i)
                arrays['feat.0'][row] = i + epoch / 10
                arrays['fc.values'][row] = values[0].numpy()
                arrays['fc.indices'][row] = indices[0].numpy()
                arrays['fc.rest'][row] = rest[0].item()
                arrays['done'][row] = 1
            for array in arrays.values():
                array.flush()
    return cache, logits


def test_shards_hold_every_sample_once_and_read_back(tmp_path):
    cache, logits = _write(str(tmp_path / 'c'), _manifest())
    assert [cache.shard_rows(s) for s in range(2)] == [4, 3]
    cache.check(2)
    reader = TeacherCache(str(tmp_path / 'c'))
    for (epoch, i), z in logits.items():
        views, outputs = reader.read(epoch, i)
        assert views['view_0'].tolist() == [epoch, i]
        (feat, ) = outputs['feat']  # a tuple, as the neck's output
        assert feat.dtype == np.float32
        assert np.allclose(feat, i + epoch / 10, rtol=1e-3)
        expected = topk_expand(*[
            a.numpy() for a in topk_compress(z[None], 2, 4.0)], 6)[0]
        assert np.allclose(outputs['fc'], expected, rtol=2e-3, atol=2e-3)
        top2 = np.argsort(-z.numpy())[:2]
        assert np.allclose(outputs['fc'][top2], z.numpy()[top2], rtol=1e-3)
    with pytest.raises(IndexError, match='outside the teacher cache'):
        reader.read(0, 7)
    # a worker receives the cache without its open maps
    clone = pickle.loads(pickle.dumps(reader))
    assert clone._maps == {} and clone.read(1, 3)[0]['view_0'].tolist() == [
        1, 3]


def test_missing_truncated_and_unfinished_files_name_file_and_command(
        tmp_path):
    root = str(tmp_path / 'c')
    _write(root, _manifest())
    path = os.path.join(root, 'epoch_0001', 'shard_001', 'fc.values.npy')
    with open(path, 'r+b') as f:
        f.truncate(os.path.getsize(path) - 3)
    with pytest.raises(ValueError) as err:
        TeacherCache(root).check(2)
    assert f'Teacher cache file {path!r} is truncated or corrupt' in str(
        err.value)
    assert str(err.value).endswith(f'Build it again with: {BUILD}')
    # the first epoch is fine
    TeacherCache(root).check(1)
    os.remove(path)
    with pytest.raises(FileNotFoundError,
                       match=f'file {path!r} is missing. Build it again '
                       f'with: {BUILD}'):
        TeacherCache(root).check(2)
    done = TeacherCache(root).open_shard(0, 1, 'r+')['done']
    done[1] = 0
    done.flush()
    with pytest.raises(ValueError, match='incomplete: 1 of the 7 views of '
                       r'epoch 0 were not written \(an interrupted build\). '
                       f'Finish it \\(the build resumes\\): {BUILD}'):
        TeacherCache(root).check(1)


def test_missing_or_foreign_manifest(tmp_path):
    cache = TeacherCache(str(tmp_path / 'none'), build_command=BUILD)
    with pytest.raises(FileNotFoundError) as err:
        cache.manifest
    assert str(err.value) == (
        f"No teacher cache at '{tmp_path / 'none'}' (manifest.json is "
        f'missing). Build it with: {BUILD} (or point train_dataloader.'
        'dataset.cache_dir at the cache).')
    os.makedirs(tmp_path / 'other')
    (tmp_path / 'other' / 'manifest.json').write_text('{"format": 99}')
    with pytest.raises(ValueError, match='not a teacher cache manifest'):
        TeacherCache(str(tmp_path / 'other')).manifest


def test_a_file_of_another_shape_is_refused(tmp_path):
    root = str(tmp_path / 'c')
    _write(root, _manifest())
    path = os.path.join(root, 'epoch_0000', 'shard_000', 'feat.0.npy')
    np.save(path, np.zeros((4, 5), np.float16))
    with pytest.raises(ValueError, match=r'holds float16 \(4, 5\), the '
                       r'manifest says float16 \(4, 3\)'):
        TeacherCache(root).check(1)


def test_config_mismatches_name_the_keys():
    cached = dict(
        teacher_ckpt=dict(path='a.pth', sha256='1' * 64),
        seed=0,
        dataset_length=10,
        pipeline=[dict(type='RandomCrop', padding=4)])
    expected = dict(
        cached,
        teacher_ckpt=dict(path='a.pth', sha256='2' * 64),
        seed=1,
        pipeline=[dict(type='RandomCrop', padding=2)])
    lines = config_mismatches(cached, expected, 'train_dataloader.dataset.'
                              'dataset.pipeline')
    assert len(lines) == 3
    assert lines[0].startswith("the teacher checkpoint: the cache has "
                               "'a.pth' (sha256 111111111111...), the "
                               "config 'a.pth' (sha256 222222222222...); "
                               'key model.teacher_ckpt')
    assert lines[1].endswith('key train_dataloader.dataset.dataset.pipeline')
    assert lines[2] == ('the seed of the random views: the cache has 0, '
                        'the config 1; key randomness.seed')
    assert config_mismatches(cached, dict(cached), 'p') == []
