# Copyright (c) OpenMMLab. All rights reserved.
"""The recorded crops and flip: mmpretrain's/mmcv's own sampling and
transform, their parameters recorded, and a replay that gives the same
pixels."""
import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

from mmkd_plus.datasets.transforms.recorded import RECORD_KEY, REPLAY_KEY

CASES = [
    (dict(type='RandomCrop', crop_size=32, padding=4), 32),
    (dict(type='RandomCrop', crop_size=24, padding=4,
          padding_mode='reflect'), 32),
    (dict(type='RandomResizedCrop', scale=24), 48),
    (dict(type='RandomFlip', prob=0.5, direction='horizontal'), 32),
    (dict(type='RandomFlip', prob=0.6,
          direction=['horizontal', 'vertical']), 32),
]


def _image(seed, size):
    return np.random.RandomState(seed).randint(0, 256, (size, size, 3)).astype(
        np.uint8)


def _recorded(cfg, key='view_0'):
    return TRANSFORMS.build(
        dict(cfg, type='Recorded' + cfg['type'], replay_key=key))


@pytest.mark.parametrize('cfg,size', CASES, ids=lambda c: str(c))
def test_recording_samples_as_the_parent_and_replay_repeats_it(cfg, size):
    parent = TRANSFORMS.build(cfg)
    recorded = _recorded(cfg)
    flips = set()
    for seed in range(12):
        img = _image(seed, size)
        np.random.seed(seed)
        expected = parent(dict(img=img.copy()))['img']
        np.random.seed(seed)
        record = {}
        out = recorded(dict(img=img.copy(), **{RECORD_KEY: record}))['img']
        # the same draws as the parent: its own parameter sampling
        assert np.array_equal(out, expected)
        params = record['view_0']
        assert params.dtype == np.int32
        assert params.shape == (len(type(recorded).PARAMS), )
        # another generator state: the replay does not draw
        np.random.seed(seed + 1000)
        again = recorded(dict(img=img.copy(), **{REPLAY_KEY: record}))['img']
        assert np.array_equal(again, out)
        if cfg['type'] == 'RandomFlip':
            flips.add(int(params[0]))
    if cfg['type'] == 'RandomFlip':
        # both outcomes occur in 12 draws, and they are told apart
        assert 0 in flips and len(flips) > 1


def test_crop_box_is_the_padded_images_and_replays_by_hand():
    img = _image(0, 32)
    crop = _recorded(dict(type='RandomCrop', crop_size=32, padding=4))
    box = np.array([1, 7, 32, 32])
    out = crop(dict(img=img, **{REPLAY_KEY: {'view_0': box}}))['img']
    padded = np.zeros((40, 40, 3), np.uint8)
    padded[4:36, 4:36] = img
    assert np.array_equal(out, padded[1:33, 7:39])


def test_flip_codes():
    img = _image(0, 8)
    flip = _recorded(dict(type='RandomFlip', prob=0.5,
                          direction=['horizontal', 'vertical']))
    for code, expected in ((0, img), (1, img[:, ::-1]), (2, img[::-1])):
        out = flip(dict(img=img.copy(), **{REPLAY_KEY: {'view_0': [code]}}))
        assert np.array_equal(out['img'], expected)
        assert out['flip'] == (code > 0)


def test_without_record_or_replay_it_is_the_parent():
    cfg = dict(type='RandomCrop', crop_size=32, padding=4)
    img = _image(3, 32)
    np.random.seed(5)
    expected = TRANSFORMS.build(cfg)(dict(img=img.copy()))['img']
    np.random.seed(5)
    assert np.array_equal(_recorded(cfg)(dict(img=img.copy()))['img'],
                          expected)


def test_bad_replays_are_refused():
    img = _image(0, 32)
    crop = _recorded(dict(type='RandomCrop', crop_size=32, padding=4))
    with pytest.raises(ValueError, match=r'recorded crop \(top 9, left 0, '
                       r'32 x 32\) does not fit the 40 x 40 image'):
        crop(dict(img=img, **{REPLAY_KEY: {'view_0': [9, 0, 32, 32]}}))
    with pytest.raises(KeyError, match="no recorded parameters under "
                       "'view_0'"):
        crop(dict(img=img, **{REPLAY_KEY: {'view_1': [0, 0, 32, 32]}}))
    with pytest.raises(ValueError, match='1 recorded parameters'):
        crop(dict(img=img, **{REPLAY_KEY: {'view_0': [0]}}))
    flip = _recorded(dict(type='RandomFlip', prob=0.5,
                          direction='horizontal'))
    with pytest.raises(ValueError, match='direction code 2 is not one of'):
        flip(dict(img=img, **{REPLAY_KEY: {'view_0': [2]}}))
