# Copyright (c) OpenMMLab. All rights reserved.
"""The digits in CIFAR format, and local-only CIFAR / ImageNet datasets."""
import copy
import os
import pickle

import numpy as np
import pytest
from kd_test_utils import REPO
from mmengine.config import Config
from mmpretrain.registry import DATASETS

from mmkd_plus.datasets import write_digits_cifar
from mmkd_plus.datasets.digits import DIGITS_FOLDER, split_indices


def test_digits_files_and_split(digits_root):
    folder = os.path.join(digits_root, DIGITS_FOLDER)
    with open(os.path.join(folder, 'data_batch_1'), 'rb') as f:
        train = pickle.load(f, encoding='latin1')
    with open(os.path.join(folder, 'test_batch'), 'rb') as f:
        test = pickle.load(f, encoding='latin1')
    assert train['data'].shape == (1438, 3072)
    assert test['data'].shape == (359, 3072)
    assert train['data'].dtype == np.uint8
    # stratified: every class has 20 % of its images in the test split
    counts = np.bincount(test['labels'], minlength=10)
    assert counts.sum() == 359 and counts.min() >= 35 and counts.max() <= 37
    # the split is fixed and disjoint
    labels = np.array(train['labels'] + test['labels'])
    tr, te = split_indices(np.sort(labels))
    assert len(set(tr) & set(te)) == 0 and len(tr) + len(te) == 1797


def test_digits_read_by_mmpretrain_cifar_loader(digits_root):
    dataset = DATASETS.build(
        dict(type='DigitsCIFAR', data_root=digits_root, split='test'))
    assert len(dataset) == 359
    item = dataset.get_data_info(0)
    assert item['img'].shape == (32, 32, 3)
    # grey digits: the three channels are equal, 4x4 blocks are constant
    img = item['img']
    assert (img[..., 0] == img[..., 2]).all()
    assert (img[::4, ::4, 0] == img[1::4, 1::4, 0]).all()
    assert dataset.metainfo['classes'][3] == '3'


def test_digits_writer_is_deterministic(tmp_path):
    a = write_digits_cifar(str(tmp_path / 'a'))
    b = write_digits_cifar(str(tmp_path / 'b'))
    for name in ('data_batch_1', 'test_batch', 'batches.meta'):
        with open(os.path.join(a, name), 'rb') as fa, \
                open(os.path.join(b, name), 'rb') as fb:
            assert fa.read() == fb.read()


def test_missing_data_files_name_the_file_and_command(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        DATASETS.build(
            dict(type='DigitsCIFAR', data_root=str(tmp_path), split='train'))
    msg = str(err.value)
    assert 'digits-cifar-py/data_batch_1' in msg
    assert 'python tools/dataset_converters/make_digits.py' in msg
    with pytest.raises(FileNotFoundError,
                       match=r'cifar-100-python/train.*cifar-100-python\.tar'
                       r'\.gz.*data_root'):
        DATASETS.build(
            dict(type='LocalCIFAR100', data_root=str(tmp_path),
                 split='train'))
    with pytest.raises(ValueError, match='never downloads'):
        DATASETS.build(
            dict(type='LocalCIFAR10', data_root=str(tmp_path),
                 download=True))


def test_missing_imagenet_says_where_files_go(tmp_path):
    cfg = Config.fromfile(
        f'{REPO}/configs/_base_/datasets/imagenet_bs32.py')
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset.data_root = str(tmp_path)
    with pytest.raises(FileNotFoundError,
                       match=r'image folder .*train.* not found.*data_root'
                       r'.*meta/\{train,val\}\.txt'):
        DATASETS.build(dataset)


@pytest.mark.parametrize('damage', ['empty', 'truncated'])
def test_damaged_data_file_is_named_and_rewritten(tmp_path, damage):
    root = str(tmp_path / 'digits')
    folder = write_digits_cifar(root)
    path = os.path.join(folder, 'data_batch_1')
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(b'' if damage == 'empty' else data[:len(data) // 3])
    with pytest.raises(RuntimeError) as err:
        DATASETS.build(dict(type='DigitsCIFAR', data_root=root,
                            split='train'))
    msg = str(err.value)
    assert repr(os.path.abspath(path)) in msg
    assert ('is empty (0 bytes' in msg if damage == 'empty' else
            'cannot be read: it is truncated or damaged' in msg)
    assert f'data_root={os.path.abspath(root)!r}' in msg
    assert 'make_digits.py' in msg
    # the writer rewrites damaged files without --overwrite
    write_digits_cifar(root)
    assert open(path, 'rb').read() == data
    assert len(DATASETS.build(
        dict(type='DigitsCIFAR', data_root=root, split='train'))) == 1438


def test_missing_file_path_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        DATASETS.build(dict(type='DigitsCIFAR', data_root='rel/digits'))
    assert repr(str(tmp_path / 'rel' / 'digits' / DIGITS_FOLDER /
                    'data_batch_1')) in str(err.value)


def test_digits_sizes_and_labels_in_file_order(digits_root):
    from mmkd_plus.datasets.digits import (NUM_TEST, NUM_TRAIN,
                                           read_digits_labels)
    train = DATASETS.build(
        dict(type='DigitsCIFAR', data_root=digits_root, split='train'))
    test = DATASETS.build(
        dict(type='DigitsCIFAR', data_root=digits_root, split='test'))
    assert (len(train), len(test)) == (NUM_TRAIN, NUM_TEST)
    np.testing.assert_array_equal(
        read_digits_labels(digits_root), train.get_gt_labels())
    np.testing.assert_array_equal(
        read_digits_labels(digits_root, 'test'), test.get_gt_labels())
    # a validation split of the last N training images (mmpretrain's
    # indices) covers every class, even for N = 50 (per-class counts)
    labels = read_digits_labels(digits_root)
    for n, counts in ((287, [28, 33, 26, 32, 31, 27, 31, 27, 24, 28]),
                      (143, [13, 14, 12, 15, 18, 14, 15, 14, 15, 13]),
                      (50, [5, 5, 3, 5, 7, 5, 4, 6, 6, 4])):
        assert np.bincount(labels[-n:], minlength=10).tolist() == counts
    held_out = DATASETS.build(
        dict(type='DigitsCIFAR', data_root=digits_root, split='train',
             indices=list(range(NUM_TRAIN - 287, NUM_TRAIN))))
    np.testing.assert_array_equal(held_out.get_gt_labels(), labels[-287:])
