# Copyright (c) OpenMMLab. All rights reserved.
"""TeacherCacheDataset replays the views the teacher saw, with its
outputs."""
import numpy as np
import pytest
import torch
from kd_test_utils import CACHED_KD_DIGITS, build_teacher_cache, load_tool
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmkd_plus.datasets import TeacherCache, TeacherCacheDataset
from mmkd_plus.registry import DATASETS

# the digits KD config with a CIFAR pipeline: zero-padded crop and flip
FLIP_CONFIG = f"""_base_ = [{CACHED_KD_DIGITS!r}]
train_dataloader = dict(
    dataset=dict(
        dataset=dict(pipeline=[
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs')
        ])))
"""
NUM_TRAIN = 24


@pytest.fixture(autouse=True)
def _mmpretrain_scope():
    init_default_scope('mmpretrain')


@pytest.fixture(scope='module')
def flip_cache(digits_root, digits_teacher_ckpt, tmp_path_factory):
    """A 2-epoch cache of the first 24 digits, built by the tool, for a
    config whose views are cropped and flipped."""
    work = tmp_path_factory.mktemp('flip_cache')
    config = str(work / 'kd_flip.py')
    with open(config, 'w') as f:
        f.write(FLIP_CONFIG)
    options = [
        f'train_dataloader.dataset.data_root={digits_root}',
        f'train_dataloader.dataset.indices={NUM_TRAIN}',
        f'model.teacher_ckpt={digits_teacher_ckpt}'
    ]
    cache = build_teacher_cache(
        config, options, epochs=2, args=['--work-dir', str(work)])
    return config, options, cache


def _dataset(config, options):
    from mmengine.config import DictAction
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({
        k: DictAction._parse_iterable(v)
        for k, v in (o.split('=', 1) for o in options)
    })
    return cfg, DATASETS.build(cfg.train_dataloader.dataset)


def test_replay_is_the_view_the_teacher_saw(flip_cache):
    config, options, cache = flip_cache
    cfg, dataset = _dataset(config, options)
    dataset.open(TeacherCache(cache.root))
    tool = load_tool('cache_teacher.py')
    online = tool.build_online_model(cfg)
    flips = set()
    for epoch in (0, 1):
        for i in range(NUM_TRAIN):
            data = dataset[(epoch, i)]
            sample = data['data_samples']
            assert sample.teacher_cache_index == (epoch, i)
            # the view the tool gave the teacher (its seed, epoch, sample)
            seen = dataset.record_view(epoch, i, seed=0)
            assert torch.equal(data['inputs'], seen['inputs'])
            views = seen['data_samples'].teacher_cache_view
            flips.add(int(views['view_1'][0]))
            # and the teacher's logits on it, to float16 rounding
            logits = tool.record_batch(online, pseudo_collate([data]))['fc']
            cached = torch.from_numpy(sample.teacher_outputs['fc'])
            assert torch.allclose(cached, logits[0], rtol=2**-11, atol=1e-6)
    assert flips == {0, 1}
    # epochs replay different views of a sample
    assert any(not torch.equal(dataset[(0, i)]['inputs'],
                               dataset[(1, i)]['inputs'])
               for i in range(NUM_TRAIN))


def test_views_are_drawn_from_seed_epoch_and_sample(flip_cache):
    config, options, _ = flip_cache
    _, dataset = _dataset(config, options)
    a = dataset.record_view(1, 5, seed=0)
    np.random.seed(123)  # whatever the generators' state before
    b = dataset.record_view(1, 5, seed=0)
    assert torch.equal(a['inputs'], b['inputs'])
    others = [dataset.record_view(1, 5, seed=s)['inputs'] for s in (1, 2, 3)]
    assert any(not torch.equal(a['inputs'], o) for o in others)


def test_wrapper_keys_reach_the_wrapped_dataset(digits_root):
    dataset = TeacherCacheDataset(
        dataset=dict(
            type='CRDDatasetWrapper',
            num_negatives=8,
            dataset=dict(
                type='DigitsCIFAR',
                data_root='nowhere',
                split='train',
                pipeline=[
                    dict(type='RandomCrop', crop_size=32, padding=4),
                    dict(type='PackCRDInputs')
                ])),
        data_root=digits_root,
        indices=10)
    assert len(dataset) == 10
    assert dataset.pipeline_key == \
        'train_dataloader.dataset.dataset.dataset.pipeline'
    assert dataset.views == [('view_0', 'RandomCrop', ('offset_h', 'offset_w',
                                                       'target_h',
                                                       'target_w'))]
    data = dataset.record_view(0, 3, seed=0)
    assert data['data_samples'].contrast_idx.shape == (9, )


def test_unreplayable_pipelines_and_indices_are_refused(digits_root):
    cfg = dict(
        type='DigitsCIFAR',
        data_root=digits_root,
        split='train',
        indices=4,
        pipeline=[
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='ColorJitter', brightness=0.4),
            dict(type='PackInputs')
        ])
    with pytest.raises(ValueError) as err:
        TeacherCacheDataset(dataset=cfg)
    assert str(err.value).startswith(
        'train_dataloader.dataset.dataset.pipeline[1] (ColorJitter) cannot '
        'be replayed from a teacher cache')
    cfg['pipeline'].pop(1)
    dataset = TeacherCacheDataset(dataset=cfg)
    with pytest.raises(TypeError, match='indexed by \\(epoch, index\\) '
                       "pairs, got 2: set train_dataloader.sampler.type="
                       "'EpochTaggedSampler'"):
        dataset[2]
    with pytest.raises(RuntimeError, match='no teacher cache is open'):
        dataset[(0, 2)]
    with pytest.raises(ValueError, match='topk.fc=0: k must be a positive'):
        TeacherCacheDataset(dataset=cfg, topk=dict(fc=0))


def test_epochs_past_the_cache_stop_or_cycle(flip_cache):
    config, options, cache = flip_cache
    _, dataset = _dataset(config, options)
    dataset.open(TeacherCache(cache.root))
    assert [dataset.cache_epoch(e) for e in (0, 1)] == [0, 1]
    with pytest.raises(ValueError) as err:
        dataset[(2, 0)]
    assert 'Training epoch 2 is past the 2 epochs of the teacher cache' in \
        str(err.value)
    assert '--epochs N' in str(err.value)
    assert 'train_dataloader.dataset.cyclic_epochs=True' in str(err.value)
    dataset.cyclic_epochs = True
    assert [dataset.cache_epoch(e) for e in (2, 3, 4)] == [0, 1, 0]
    assert dataset[(3, 4)]['data_samples'].teacher_cache_index == (1, 4)
    assert torch.equal(dataset[(3, 4)]['inputs'], dataset[(1, 4)]['inputs'])
