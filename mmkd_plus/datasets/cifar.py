# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR datasets that read local files only, and say clearly what is
missing."""
import os.path as osp
import pickle
from typing import List, Optional, Tuple

from mmpretrain.datasets import CIFAR10, CIFAR100
from mmpretrain.datasets.utils import check_md5

from mmkd_plus.registry import DATASETS

__all__ = [
    'LocalCIFAR10', 'LocalCIFAR100', 'check_cifar_files', 'explain_unreadable',
    'unreadable_pickle'
]


def _entries(dataset) -> List[Tuple[str, Optional[str]]]:
    root = dataset.data_prefix['root']
    entries = list(dataset.train_list) + list(dataset.test_list)
    entries.append([dataset.meta['filename'], dataset.meta.get('md5')])
    return [(osp.abspath(osp.join(root, dataset.base_folder, name)), md5)
            for name, md5 in entries]


def unreadable_pickle(path: str) -> Optional[str]:
    """Why the pickle at ``path`` cannot be read, or None if it can."""
    if osp.getsize(path) == 0:
        return 'it is empty (0 bytes)'
    try:
        with open(path, 'rb') as f:
            pickle.load(f, encoding='latin1')
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError,
            AttributeError, ImportError, IndexError, MemoryError) as err:
        return (f'it is truncated or damaged ({type(err).__name__}: {err}; '
                f'{osp.getsize(path)} bytes)')
    return None


def check_cifar_files(dataset, how_to_get: str) -> None:
    """Raise one clear error if a file of a CIFAR-format dataset is missing
    or empty. Paths in the message are absolute.

    Args:
        dataset (CIFAR10): A dataset whose ``data_prefix['root']``,
            ``base_folder``, ``train_list``, ``test_list`` and ``meta`` name
            its files (md5 ``None`` skips the checksum).
        how_to_get (str): What the user should do to create the files.
    """
    root = osp.abspath(dataset.data_prefix['root'])
    for path, md5 in _entries(dataset):
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{type(dataset).__name__}: data file {path!r} not found '
                f'(config key: data_root={root!r}). {how_to_get}')
        if osp.getsize(path) == 0:
            raise RuntimeError(
                f'{type(dataset).__name__}: data file {path!r} is empty (0 '
                f'bytes; config key: data_root={root!r}). {how_to_get}')
        if md5 is not None and not check_md5(path, md5):
            raise RuntimeError(
                f'{type(dataset).__name__}: {path!r} has the wrong md5 '
                f'(expected {md5}); the file is corrupt or not the original. '
                f'{how_to_get}')


def explain_unreadable(dataset, how_to_get: str,
                       err: BaseException) -> Optional[RuntimeError]:
    """After the loader failed with ``err``: the error naming the file that
    cannot be unpickled, or None if every file reads."""
    root = osp.abspath(dataset.data_prefix['root'])
    for path, _ in _entries(dataset):
        problem = unreadable_pickle(path)
        if problem is not None:
            return RuntimeError(
                f'{type(dataset).__name__}: data file {path!r} cannot be '
                f'read: {problem} (config key: data_root={root!r}). '
                f'{how_to_get}')
    return None


class _LocalMixin:
    """Never download; check the files before mmpretrain's loader runs."""

    HOW_TO_GET = ''

    def __init__(self, *args, download: bool = False, **kwargs):
        if download:
            raise ValueError(
                f'{type(self).__name__}: download=True is not supported; '
                'mmkd_plus never downloads data. ' + self.HOW_TO_GET)
        super().__init__(*args, download=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        check_cifar_files(self, self.HOW_TO_GET)
        try:
            return super().load_data_list()
        except Exception as err:
            clear = explain_unreadable(self, self.HOW_TO_GET, err)
            if clear is None:
                raise
            raise clear from err


@DATASETS.register_module()
class LocalCIFAR10(_LocalMixin, CIFAR10):
    """mmpretrain's :class:`CIFAR10`, reading local files only.

    Args:
        data_root (str): Folder that contains ``cifar-10-batches-py/``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        **kwargs: Other arguments of mmpretrain's ``CIFAR10``.
    """
    HOW_TO_GET = (
        'Get cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/'
        'cifar.html and extract it into data_root, so that '
        'data_root/cifar-10-batches-py/data_batch_1 exists.')


@DATASETS.register_module()
class LocalCIFAR100(_LocalMixin, CIFAR100):
    """mmpretrain's :class:`CIFAR100`, reading local files only.

    Args:
        data_root (str): Folder that contains ``cifar-100-python/``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        **kwargs: Other arguments of mmpretrain's ``CIFAR100``.
    """
    HOW_TO_GET = (
        'Get cifar-100-python.tar.gz from https://www.cs.toronto.edu/~kriz/'
        'cifar.html and extract it into data_root, so that '
        'data_root/cifar-100-python/train exists.')
