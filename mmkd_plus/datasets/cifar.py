# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR datasets that read local files only, and say clearly what is
missing."""
import os.path as osp
from typing import List

from mmpretrain.datasets import CIFAR10, CIFAR100
from mmpretrain.datasets.utils import check_md5

from mmkd_plus.registry import DATASETS

__all__ = ['LocalCIFAR10', 'LocalCIFAR100', 'check_cifar_files']


def check_cifar_files(dataset, how_to_get: str) -> None:
    """Raise one clear error if a file of a CIFAR-format dataset is missing.

    Args:
        dataset (CIFAR10): A dataset whose ``data_prefix['root']``,
            ``base_folder``, ``train_list``, ``test_list`` and ``meta`` name
            its files (md5 ``None`` skips the checksum).
        how_to_get (str): What the user should do to create the files.
    """
    root = dataset.data_prefix['root']
    entries = list(dataset.train_list) + list(dataset.test_list)
    entries.append([dataset.meta['filename'], dataset.meta.get('md5')])
    for filename, md5 in entries:
        path = osp.join(root, dataset.base_folder, filename)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{type(dataset).__name__}: data file {path!r} not found '
                f'(config key: data_root={root!r}). {how_to_get}')
        if md5 is not None and not check_md5(path, md5):
            raise RuntimeError(
                f'{type(dataset).__name__}: {path!r} has the wrong md5 '
                f'(expected {md5}); the file is corrupt or not the original. '
                f'{how_to_get}')


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
        return super().load_data_list()


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
