# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR-10S and the digits analogue on small files the tests write."""
import os
import pickle

import numpy as np
import pytest
from PIL import Image

import mmkd_plus  # noqa: F401
from mmkd_plus.datasets import CIFAR10S, DigitsS, read_groups, rgb_to_gray
from mmkd_plus.datasets.cifar10s import skewed_gray_mask

PER_CLASS = 20  # training images per class in the fake CIFAR-10
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture
def fake_cifar10(tmp_path, monkeypatch):
    """A CIFAR-10 folder of the real format: 5 train batches (40 images
    each, 20 per class in all) and a test batch of 30 images; md5s off."""
    folder = tmp_path / 'cifar-10-batches-py'
    folder.mkdir()
    rng = np.random.RandomState(1)
    labels = np.repeat(np.arange(10), PER_CLASS)
    rng.shuffle(labels)
    images = rng.randint(0, 256, size=(len(labels), 3 * 32 * 32),
                         dtype=np.uint8)
    for b in range(5):
        part = slice(40 * b, 40 * (b + 1))
        with open(folder / f'data_batch_{b + 1}', 'wb') as f:
            pickle.dump({'data': images[part],
                         'labels': labels[part].tolist()}, f)
    test_labels = np.arange(30) % 10
    with open(folder / 'test_batch', 'wb') as f:
        pickle.dump({'data': images[:30], 'labels': test_labels.tolist()}, f)
    with open(folder / 'batches.meta', 'wb') as f:
        pickle.dump({'label_names': [f'c{i}' for i in range(10)]}, f)
    for attr in ('train_list', 'test_list'):
        monkeypatch.setattr(CIFAR10S, attr,
                            [[n, None] for n, _ in getattr(CIFAR10S, attr)])
    monkeypatch.setattr(CIFAR10S, 'meta', dict(CIFAR10S.meta, md5=None))
    return str(tmp_path), images.reshape(-1, 3, 32, 32).transpose(
        0, 2, 3, 1), labels


def test_rgb_to_gray_is_pil_luma():
    rgb = np.random.RandomState(0).randint(0, 256, (2, 5, 7, 3),
                                           dtype=np.uint8)
    gray = rgb_to_gray(rgb)
    for img, out in zip(rgb, gray):
        expected = np.asarray(Image.fromarray(img).convert('L'))
        np.testing.assert_array_equal(out[..., 0], expected)
        np.testing.assert_array_equal(out[..., 1], expected)
        np.testing.assert_array_equal(out[..., 2], expected)


def test_skew_counts_per_class():
    labels = np.repeat(np.arange(10), 5000)
    gray = skewed_gray_mask(labels, 0.8, seed=3, gray_classes=range(5))
    counts = [int(gray[labels == c].sum()) for c in range(10)]
    assert counts == [4000] * 5 + [1000] * 5
    gray95 = skewed_gray_mask(labels, 0.95, seed=3, gray_classes=range(5))
    assert [int(gray95[labels == c].sum())
            for c in range(10)] == [4750] * 5 + [250] * 5


def test_skew_assignment_depends_on_seed():
    labels = np.repeat(np.arange(10), 100)
    a = skewed_gray_mask(labels, 0.8, seed=0, gray_classes=range(5))
    b = skewed_gray_mask(labels, 0.8, seed=0, gray_classes=range(5))
    c = skewed_gray_mask(labels, 0.8, seed=1, gray_classes=range(5))
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    # the counts do not depend on the seed
    assert a.sum() == c.sum() == 5 * 80 + 5 * 20


def test_cifar10s_train_groups_and_images(fake_cifar10):
    root, images, labels = fake_cifar10
    ds = CIFAR10S(data_root=root, split='train', seed=0)
    assert len(ds) == 10 * PER_CLASS
    assert ds.metainfo['groups'] == ('gray', 'color')
    groups = ds.get_groups()
    gt = ds.get_gt_labels()
    np.testing.assert_array_equal(gt, labels)
    gray_per_class = [int((groups[gt == c] == 0).sum()) for c in range(10)]
    assert gray_per_class == [16] * 5 + [4] * 5  # 0.8 / 0.2 of 20
    for i in (0, 1, 2, 3, 50, 199):
        img = ds.get_data_info(i)['img']
        if groups[i] == 0:
            np.testing.assert_array_equal(img, rgb_to_gray(images[i]))
        else:
            np.testing.assert_array_equal(img, images[i])
    # the assignment follows the seed
    other = CIFAR10S(data_root=root, split='train', seed=5).get_groups()
    assert (other != groups).any()


def test_cifar10s_test_split_holds_both_versions(fake_cifar10):
    root, images, _ = fake_cifar10
    ds = CIFAR10S(data_root=root, split='test')
    assert len(ds) == 60
    groups = ds.get_groups()
    np.testing.assert_array_equal(groups, [0] * 30 + [1] * 30)
    np.testing.assert_array_equal(ds.get_gt_labels(),
                                  np.tile(np.arange(30) % 10, 2))
    np.testing.assert_array_equal(ds.get_data_info(0)['img'],
                                  rgb_to_gray(images[0]))
    np.testing.assert_array_equal(ds.get_data_info(30)['img'], images[0])
    only_gray = CIFAR10S(data_root=root, split='test', test_versions='gray')
    assert len(only_gray) == 30 and set(only_gray.get_groups()) == {0}


def test_cifar10s_bad_arguments(fake_cifar10):
    root = fake_cifar10[0]
    with pytest.raises(ValueError, match='skew must be in'):
        CIFAR10S(data_root=root, skew=0.3)
    with pytest.raises(ValueError, match='test_versions must be one of'):
        CIFAR10S(data_root=root, split='test', test_versions='colour')


def test_cifar10s_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        CIFAR10S(data_root=str(tmp_path), split='train')
    assert os.path.join('cifar-10-batches-py', 'data_batch_1') in str(
        err.value)
    assert 'cifar-10-python.tar.gz' in str(err.value)


def test_digits_s_groups_skew_and_colour(digits_root):
    ds = DigitsS(data_root=digits_root, split='train')
    groups, labels = ds.get_groups(), ds.get_gt_labels()
    for c in range(10):
        n = int((labels == c).sum())
        gray = int((groups[labels == c] == 0).sum())
        assert gray == round((0.8 if c < 5 else 0.2) * n)
    for i in range(20):
        img = ds.get_data_info(i)['img']
        channels_equal = (img[..., 0] == img[..., 1]).all() and (
            img[..., 1] == img[..., 2]).all()
        # grey digits have three equal channels, coloured ones not
        assert channels_equal == (groups[i] == 0)
    test = DigitsS(data_root=digits_root, split='test')
    assert len(test) == 2 * 359
    np.testing.assert_array_equal(test.get_groups(), [0] * 359 + [1] * 359)
    # a test digit has the same colour in every run / seed
    again = DigitsS(data_root=digits_root, split='test', seed=7)
    np.testing.assert_array_equal(
        test.get_data_info(400)['img'], again.get_data_info(400)['img'])


def test_group_packed_into_data_sample(digits_root):
    ds = DigitsS(
        data_root=digits_root,
        split='test',
        pipeline=[dict(type='PackInputs', algorithm_keys=('group', ))])
    assert ds[0]['data_samples'].group == 0
    assert ds[500]['data_samples'].group == 1


def test_sample_without_group_names_the_dataset(digits_root):
    from mmkd_plus.datasets import DigitsCIFAR
    plain = DigitsCIFAR(data_root=digits_root, split='test')
    with pytest.raises(ValueError, match='DigitsCIFAR: sample 0 has no '
                       'sensitive group label'):
        read_groups(plain)


HOLDOUT = 287  # a fifth of the 1,438 training digits


def test_digits_s_holdout_sizes_versions_and_disjointness(digits_root):
    from mmkd_plus.datasets import DigitsCIFAR
    raw = DigitsCIFAR(data_root=digits_root, split='train')
    raw_imgs = np.stack([raw.get_data_info(i)['img'] for i in range(1438)])
    raw_labels = raw.get_gt_labels()
    full = DigitsS(data_root=digits_root, split='train', seed=3)
    train = DigitsS(data_root=digits_root, split='train', seed=3,
                    holdout=HOLDOUT)
    val = DigitsS(data_root=digits_root, split='val', seed=3,
                  holdout=HOLDOUT)
    cut = 1438 - HOLDOUT
    assert (len(full), len(train), len(val)) == (1438, cut, 2 * HOLDOUT)
    assert (train.part, val.part) == ('train', 'val')
    # the training part: the first `cut` digits of the file, each grey
    # (its luma) or coloured as in the whole split
    np.testing.assert_array_equal(train.get_gt_labels(), raw_labels[:cut])
    groups = train.get_groups()
    for i in range(0, cut, 37):
        img = train.get_data_info(i)['img']
        version = (rgb_to_gray(raw_imgs[i]) if groups[i] == 0 else
                   train.to_color(raw_imgs[[i]], np.array([i]))[0])
        np.testing.assert_array_equal(img, version)
    # the validation part: the last HOLDOUT digits, grey then coloured,
    # like the test split; none of them is in the training part
    np.testing.assert_array_equal(val.get_groups(),
                                  [0] * HOLDOUT + [1] * HOLDOUT)
    np.testing.assert_array_equal(val.get_gt_labels(),
                                  np.tile(raw_labels[cut:], 2))
    val_imgs = np.stack([val.get_data_info(i)['img']
                         for i in range(len(val))])
    np.testing.assert_array_equal(val_imgs[:HOLDOUT],
                                  rgb_to_gray(raw_imgs[cut:]))
    # each held-out digit has the colour it has in the whole split (the
    # hue of its index in the file), and is not grey
    np.testing.assert_array_equal(
        val_imgs[HOLDOUT:], full.to_color(raw_imgs, np.arange(1438))[cut:])
    coloured = full.get_groups()[cut:] == 1
    assert coloured.any()
    np.testing.assert_array_equal(
        val_imgs[HOLDOUT:][coloured],
        np.stack([full.get_data_info(cut + j)['img']
                  for j in np.flatnonzero(coloured)]))
    assert not all((img[..., 0] == img[..., 1]).all()
                   for img in val_imgs[HOLDOUT:])
    # the held-out digits cover every class; per-class counts
    counts = np.bincount(raw_labels[cut:], minlength=10)
    assert counts.tolist() == [28, 33, 26, 32, 31, 27, 31, 27, 24, 28]
    # one version only, as test_versions says
    only = DigitsS(data_root=digits_root, split='val', holdout=HOLDOUT,
                   test_versions='color')
    assert len(only) == HOLDOUT and set(only.get_groups()) == {1}


def test_digits_s_holdout_keeps_the_skew_of_the_training_part(digits_root):
    for seed in (0, 5):
        train = DigitsS(data_root=digits_root, split='train', seed=seed,
                        holdout=HOLDOUT)
        groups, labels = train.get_groups(), train.get_gt_labels()
        assert len(labels) == 1438 - HOLDOUT
        for c in range(10):
            n = int((labels == c).sum())
            gray = int((groups[labels == c] == 0).sum())
            assert gray == round((0.8 if c < 5 else 0.2) * n), (seed, c)
    # the test split does not depend on holdout
    test = DigitsS(data_root=digits_root, split='test', holdout=HOLDOUT)
    assert len(test) == 2 * 359


def test_digits_s_holdout_bad_arguments(digits_root):
    with pytest.raises(ValueError, match="split='val' is the last"):
        DigitsS(data_root=digits_root, split='val')
    with pytest.raises(ValueError, match='split must be one of'):
        DigitsS(data_root=digits_root, split='valid', holdout=10)
    with pytest.raises(ValueError, match='holdout must be an int >= 0'):
        DigitsS(data_root=digits_root, split='train', holdout=-1)
    with pytest.raises(ValueError, match='leaves no training image'):
        DigitsS(data_root=digits_root, split='train', holdout=1438)


def test_digits_s_val_split_in_a_config(digits_root):
    """The validation split builds from a config, packed with its group."""
    from mmengine.config import Config
    from mmpretrain.registry import DATASETS as PRETRAIN_DATASETS
    cfg = Config.fromfile(
        os.path.join(REPO_ROOT, 'configs', 'mfd',
                     'scratch_cifarnet_half_1xb128_digits_s.py'))
    dataset = dict(cfg.val_dataloader.dataset, data_root=digits_root,
                   split='val', holdout=HOLDOUT)
    val = PRETRAIN_DATASETS.build(dataset)
    assert len(val) == 2 * HOLDOUT
    assert val[HOLDOUT]['data_samples'].group == 1
