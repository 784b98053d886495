# Copyright (c) OpenMMLab. All rights reserved.
"""UTKFace and CelebA on small files the tests write."""
import os

import numpy as np
import pytest
from PIL import Image

import mmkd_plus  # noqa: F401
from mmkd_plus.datasets import CelebA, UTKFace
from mmkd_plus.datasets.utkface import age_bin

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs', algorithm_keys=('group', ))
]


def _jpeg(path, value):
    Image.fromarray(np.full((6, 5, 3), value, np.uint8)).save(path)


@pytest.fixture
def utkface_root(tmp_path):
    folder = tmp_path / 'UTKFace'
    folder.mkdir()
    n = 0
    for race in range(5):  # 4 = Others, left out
        for age in (5, 25, 61):
            for k in range(3):
                name = f'{age + k}_{k % 2}_{race}_2017010{n:04d}.jpg.chip.jpg'
                _jpeg(folder / name, 10 * race)
                n += 1
    _jpeg(folder / '39_1_20170116174525125.jpg.chip.jpg', 0)  # no race
    return str(tmp_path)


def test_age_bins():
    assert [age_bin(a) for a in (0, 19, 20, 39, 40, 90)] == [0, 0, 1, 1, 2, 2]


def test_utkface_split_labels_and_groups(utkface_root):
    train = UTKFace(utkface_root, split='train', test_per_cell=1)
    test = UTKFace(utkface_root, split='test', test_per_cell=1)
    # 4 races x 3 age bins x 3 images; 1 per cell to the test set
    assert len(train) == 24 and len(test) == 12
    paths = [test.get_data_info(i)['img_path'] for i in range(12)]
    assert not set(paths) & {train.get_data_info(i)['img_path']
                             for i in range(24)}
    cells = sorted(zip(test.get_groups(), test.get_gt_labels()))
    assert cells == [(r, a) for r in range(4) for a in range(3)]
    for i in range(len(train)):
        info = train.get_data_info(i)
        name = os.path.basename(info['img_path'])
        assert info['gt_label'] == age_bin(int(name.split('_')[0]))
        assert info['group'] == int(name.split('_')[2])
    # the split follows split_seed
    other = UTKFace(utkface_root, split='test', test_per_cell=1,
                    split_seed=2)
    assert [other.get_data_info(i)['img_path']
            for i in range(12)] != paths
    assert train.metainfo['groups'] == ('White', 'Black', 'Asian', 'Indian')


def test_utkface_through_the_pipeline(utkface_root):
    ds = UTKFace(utkface_root, split='test', test_per_cell=1,
                 pipeline=PIPELINE)
    sample = ds[0]
    assert sample['inputs'].shape == (3, 6, 5)
    assert sample['data_samples'].group == ds.get_data_info(0)['group']


def test_utkface_small_cell_and_missing_folder(utkface_root, tmp_path):
    with pytest.raises(ValueError, match='lower test_per_cell'):
        UTKFace(utkface_root, split='test', test_per_cell=3)
    with pytest.raises(FileNotFoundError, match='UTKFace.tar.gz'):
        UTKFace(str(tmp_path / 'nothing'))


ATTRS = ['5_o_Clock_Shadow', 'Attractive', 'Male', 'Young']


@pytest.fixture
def celeba_root(tmp_path):
    img = tmp_path / 'img_align_celeba'
    img.mkdir()
    rows, parts = [], []
    rng = np.random.RandomState(0)
    for i in range(40):
        name = f'{i + 1:06d}.jpg'
        _jpeg(img / name, i)
        values = rng.choice([-1, 1], size=len(ATTRS))
        rows.append(name + ' ' + ' '.join(f'{v:2d}' for v in values))
        parts.append(f'{name} {0 if i < 20 else (1 if i < 25 else 2)}')
    (tmp_path / 'list_attr_celeba.txt').write_text(
        f'{len(rows)}\n' + ' '.join(ATTRS) + '\n' + '\n'.join(rows) + '\n')
    (tmp_path / 'list_eval_partition.txt').write_text('\n'.join(parts) +
                                                      '\n')
    return str(tmp_path), rows


def test_celeba_partition_and_attributes(celeba_root):
    root, rows = celeba_root
    train = CelebA(root, split='train')
    assert len(train) == 20
    for i in (0, 7, 19):
        values = [int(v) for v in rows[i].split()[1:]]
        info = train.get_data_info(i)
        assert info['gt_label'] == int(values[1] > 0)  # Attractive
        assert info['group'] == int(values[2] > 0)  # Male
    assert train.metainfo['classes'] == ('not Attractive', 'Attractive')
    young = CelebA(root, split='train', target_attr='Young',
                   sensitive_attr='5_o_Clock_Shadow')
    assert young.get_data_info(3)['gt_label'] == int(
        int(rows[3].split()[4]) > 0)


def test_celeba_test_set_is_balanced(celeba_root):
    root, rows = celeba_root
    test = CelebA(root, split='test')
    full = CelebA(root, split='test', balance_test=False)
    assert len(full) == 15
    cells = list(zip(full.get_groups(), full.get_gt_labels()))
    smallest = min(cells.count((a, y)) for a in (0, 1) for y in (0, 1))
    counts = list(zip(test.get_groups(), test.get_gt_labels()))
    assert smallest > 0 and len(test) == 4 * smallest
    assert all(counts.count((a, y)) == smallest
               for a in (0, 1) for y in (0, 1))


def test_celeba_errors(celeba_root, tmp_path):
    root, _ = celeba_root
    with pytest.raises(ValueError, match="target_attr='Smiling' is not a "
                       'CelebA attribute'):
        CelebA(root, target_attr='Smiling')
    with pytest.raises(FileNotFoundError, match='list_attr_celeba.txt'):
        CelebA(str(tmp_path / 'none'))
