# Copyright (c) OpenMMLab. All rights reserved.
"""The scikit-learn digits, written in the CIFAR-10 python file format.

The project's demo and tests train on real data that ships with a dependency
and needs no download: the 1,797 8×8 grey-level digits of scikit-learn,
upsampled to 32×32×3 and written as ``data_batch_1``/``test_batch``/
``batches.meta`` pickles, so that mmpretrain's real CIFAR loader reads them.
"""
import argparse
import os
import os.path as osp
import pickle
from typing import Optional, Tuple

import numpy as np
from mmpretrain.datasets import CIFAR10

from mmkd_plus.registry import DATASETS
from .cifar import _LocalMixin, unreadable_pickle

__all__ = [
    'DigitsCIFAR', 'write_digits_cifar', 'read_digits_labels',
    'DIGITS_FOLDER', 'NUM_TRAIN', 'NUM_TEST'
]

DIGITS_FOLDER = 'digits-cifar-py'
DIGITS_CLASSES = tuple(str(i) for i in range(10))
# the fixed split: 20 % of every class, chosen with this seed, is the test set
_TEST_FRACTION = 0.2
_SEED = 0
# the sizes of the fixed split (1,797 digits)
NUM_TRAIN, NUM_TEST = 1438, 359


def _digits_images() -> Tuple[np.ndarray, np.ndarray]:
    """All digits as uint8 (N, 3, 32, 32) images and int labels."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    grey = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    big = np.kron(grey, np.ones((1, 4, 4), dtype=np.uint8))  # 8x8 -> 32x32
    rgb = np.repeat(big[:, None], 3, axis=1)
    return rgb, digits.target.astype(np.int64)


def split_indices(labels: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The fixed, stratified train/test split (indices into the digits)."""
    rng = np.random.RandomState(_SEED)
    train, test = [], []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_test = int(round(len(idx) * _TEST_FRACTION))
        test.extend(idx[:n_test])
        train.extend(idx[n_test:])
    return np.sort(np.array(train)), np.sort(np.array(test))


def write_digits_cifar(data_root: str, overwrite: bool = False) -> str:
    """Write the digits to ``data_root/digits-cifar-py`` as CIFAR-10 files.

    Files that exist and read are kept; a missing, empty or truncated one
    makes it write them all again.

    Args:
        data_root (str): Folder to write into (created if needed).
        overwrite (bool): Rewrite the files even if they read.

    Returns:
        str: The folder holding the files.
    """
    folder = osp.join(data_root, DIGITS_FOLDER)
    names = ('data_batch_1', 'test_batch', 'batches.meta')
    paths = [osp.join(folder, n) for n in names]
    if not overwrite and all(osp.isfile(p) for p in paths) and not any(
            unreadable_pickle(p) for p in paths):
        return folder
    os.makedirs(folder, exist_ok=True)
    images, labels = _digits_images()
    train, test = split_indices(labels)
    for name, idx in (('data_batch_1', train), ('test_batch', test)):
        entry = {
            'batch_label': name,
            'data': images[idx].reshape(len(idx), -1),
            'labels': labels[idx].tolist(),
            'filenames': [f'digit_{i:04d}.png' for i in idx],
        }
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(entry, f)
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump({'label_names': list(DIGITS_CLASSES),
                     'num_vis': 32 * 32 * 3}, f)
    return folder


def read_digits_labels(data_root: str, split: str = 'train') -> np.ndarray:
    """The labels of a split of the written digits, in file order.

    A validation split carved from the training images (the last ``N`` of
    the file, mmpretrain's ``indices``) holds the labels
    ``read_digits_labels(root)[-N:]``: the file follows scikit-learn's
    order, which cycles through the classes, so a few dozen cover them
    all.

    Args:
        data_root (str): The folder :func:`write_digits_cifar` wrote into.
        split (str): ``'train'`` or ``'test'``.

    Returns:
        np.ndarray: int64 labels.
    """
    name = {'train': 'data_batch_1', 'test': 'test_batch'}[split]
    with open(osp.join(data_root, DIGITS_FOLDER, name), 'rb') as f:
        return np.asarray(pickle.load(f)['labels'], dtype=np.int64)


@DATASETS.register_module()
class DigitsCIFAR(_LocalMixin, CIFAR10):
    """The scikit-learn digits in CIFAR-10 format (10 classes, 32×32×3).

    1,438 training and 359 test images (a fixed stratified 80/20 split).
    Create the files with ``python tools/dataset_converters/make_digits.py
    data/digits`` (``make demo`` and the tests do this).

    Args:
        data_root (str): Folder that contains ``digits-cifar-py/``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        **kwargs: Other arguments of mmpretrain's ``CIFAR10``.
    """
    base_folder = DIGITS_FOLDER
    train_list = [['data_batch_1', None]]
    test_list = [['test_batch', None]]
    meta = {'filename': 'batches.meta', 'key': 'label_names', 'md5': None}
    METAINFO = {'classes': DIGITS_CLASSES}
    HOW_TO_GET = ('Create it with: python tools/dataset_converters/'
                  'make_digits.py <data_root> (it rewrites missing, empty '
                  'or damaged files).')


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', nargs='?', default='data/digits')
    parser.add_argument('--overwrite', action='store_true')
    args = parser.parse_args(argv)
    print(write_digits_cifar(args.data_root, args.overwrite))


if __name__ == '__main__':
    main()
