# Copyright (c) OpenMMLab. All rights reserved.
"""ImageNet that reads local files only and says where they belong."""
import os.path as osp
from typing import List

from mmpretrain.datasets import ImageNet

from mmkd_plus.registry import DATASETS

__all__ = ['LocalImageNet']

LAYOUT = (
    'Put ImageNet-1k under data_root as mmpretrain expects: '
    'data_root/train/<wnid>/*.JPEG, data_root/val/ (images), and '
    'data_root/meta/{train,val}.txt ("relative/path.JPEG label" per line); '
    'see https://mmpretrain.readthedocs.io/en/latest/user_guides/'
    'dataset_prepare.html#imagenet')


@DATASETS.register_module()
class LocalImageNet(ImageNet):
    """mmpretrain's :class:`ImageNet`; a missing folder or annotation file
    stops with its path, the config key and the expected layout.

    Args:
        data_root (str): The ImageNet root folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        **kwargs: Other arguments of mmpretrain's ``ImageNet``.
    """

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', '')
        root = osp.abspath(self.data_root) if self.data_root else None
        if img_dir and not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'LocalImageNet: image folder {osp.abspath(img_dir)!r} not '
                f'found (config keys: data_root={root!r}, data_prefix). '
                f'{LAYOUT}')
        if self.ann_file and not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'LocalImageNet: annotation file '
                f'{osp.abspath(self.ann_file)!r} not found (config keys: '
                f'data_root={root!r}, ann_file). {LAYOUT}')
        if self.ann_file and osp.getsize(self.ann_file) == 0:
            raise RuntimeError(
                f'LocalImageNet: annotation file '
                f'{osp.abspath(self.ann_file)!r} is empty (config keys: '
                f'data_root={root!r}, ann_file). {LAYOUT}')
        return super().load_data_list()
