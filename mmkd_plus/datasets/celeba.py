# Copyright (c) OpenMMLab. All rights reserved.
"""CelebA with a target and a sensitive attribute chosen in the config."""
import os.path as osp
from typing import List, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmkd_plus.registry import DATASETS
from .fairness import FairnessDatasetMixin

__all__ = ['CelebA']

HOW_TO_GET = (
    'Get "Align&Cropped Images" (img_align_celeba.zip), '
    'list_attr_celeba.txt and list_eval_partition.txt from '
    'https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html and put them in '
    'data_root (data_root/img_align_celeba/000001.jpg, '
    'data_root/list_attr_celeba.txt, data_root/list_eval_partition.txt).')
_SPLITS = {'train': 0, 'val': 1, 'test': 2}


@DATASETS.register_module()
class CelebA(FairnessDatasetMixin, BaseDataset):
    """CelebA: one attribute as the binary class, another as the group.

    As "Fair Feature Distillation for Visual Recognition" (Jung et al.,
    CVPR 2021, https://arxiv.org/abs/2106.04411): target ``Attractive``,
    sensitive ``Male`` by default, the official partition, and a test set
    balanced down to its smallest (group, class) cell (the first images of
    each cell in file order; ``balance_test=False`` keeps all). Class and
    group are 1 where the attribute is present, else 0.

    Args:
        data_root (str): Folder with ``img_align_celeba/``,
            ``list_attr_celeba.txt`` and ``list_eval_partition.txt``.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        target_attr (str): The class attribute. Defaults to
            ``'Attractive'``.
        sensitive_attr (str): The group attribute. Defaults to ``'Male'``.
        balance_test (bool): Balance the test split. Defaults to True.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 target_attr: str = 'Attractive',
                 sensitive_attr: str = 'Male',
                 balance_test: bool = True,
                 **kwargs) -> None:
        if split not in _SPLITS:
            raise ValueError(f'CelebA: split must be one of {list(_SPLITS)},'
                             f' got {split!r}.')
        self.split = split
        self.target_attr = target_attr
        self.sensitive_attr = sensitive_attr
        self.balance_test = balance_test
        metainfo = dict(
            classes=(f'not {target_attr}', target_attr),
            groups=(f'not {sensitive_attr}', sensitive_attr))
        super().__init__(ann_file='', data_root=data_root,
                         metainfo=metainfo, **kwargs)

    def _path(self, name: str) -> str:
        path = osp.join(self.data_root, name)
        if not osp.exists(path):
            raise FileNotFoundError(
                f'CelebA: {osp.abspath(path)!r} not found (config key: '
                f'data_root={self.data_root!r}). {HOW_TO_GET}')
        return path

    def _attributes(self) -> Tuple[List[str], np.ndarray, np.ndarray]:
        with open(self._path('list_attr_celeba.txt')) as f:
            lines = f.read().splitlines()
        names = lines[1].split()
        for attr, key in ((self.target_attr, 'target_attr'),
                          (self.sensitive_attr, 'sensitive_attr')):
            if attr not in names:
                raise ValueError(
                    f'CelebA: {key}={attr!r} is not a CelebA attribute; '
                    f'choose one of {names}.')
        files, target, sensitive = [], [], []
        ti, si = names.index(self.target_attr), names.index(
            self.sensitive_attr)
        for line in lines[2:]:
            fields = line.split()
            if not fields:
                continue
            files.append(fields[0])
            target.append(int(fields[1 + ti]) > 0)
            sensitive.append(int(fields[1 + si]) > 0)
        return files, np.array(target, int), np.array(sensitive, int)

    def load_data_list(self) -> List[dict]:
        img_dir = self._path('img_align_celeba')
        files, target, sensitive = self._attributes()
        with open(self._path('list_eval_partition.txt')) as f:
            partition = dict(line.split() for line in f if line.strip())
        keep = np.array(
            [int(partition[n]) == _SPLITS[self.split] for n in files])
        idx = np.flatnonzero(keep)
        if self.split == 'test' and self.balance_test and len(idx):
            cells = [
                idx[(target[idx] == y) & (sensitive[idx] == a)]
                for a in (0, 1) for y in (0, 1)
            ]
            smallest = min(len(c) for c in cells)
            idx = np.sort(np.concatenate([c[:smallest] for c in cells]))
        data_list = [
            dict(img_path=osp.join(img_dir, files[i]),
                 gt_label=int(target[i]), group=int(sensitive[i]))
            for i in idx
        ]
        self._check_groups(data_list)
        return data_list
