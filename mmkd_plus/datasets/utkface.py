# Copyright (c) OpenMMLab. All rights reserved.
"""UTKFace: age in three bins as the target, race as the sensitive group."""
import logging
import os
import os.path as osp
from typing import List

import numpy as np
from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from mmkd_plus.registry import DATASETS
from .fairness import FairnessDatasetMixin

__all__ = ['UTKFace', 'age_bin']

HOW_TO_GET = (
    'Get the "Aligned&Cropped Faces" archive (UTKFace.tar.gz) from '
    'https://susanqq.github.io/UTKFace/ and extract it into data_root, so '
    'that data_root/UTKFace/<age>_<gender>_<race>_<date>.jpg.chip.jpg '
    'exist.')


def age_bin(age: int) -> int:
    """0 for ages < 20, 1 for 20-39, 2 for >= 40."""
    return 0 if age < 20 else (1 if age < 40 else 2)


@DATASETS.register_module()
class UTKFace(FairnessDatasetMixin, BaseDataset):
    """UTKFace with the MFD split: age bin as the class, race as the group.

    "Fair Feature Distillation for Visual Recognition" (Jung et al., CVPR
    2021, https://arxiv.org/abs/2106.04411). Files are
    ``data_root/UTKFace/<age>_<gender>_<race>_<datetime>.jpg.chip.jpg``
    (the Aligned & Cropped set). Classes: age < 20, 20-39, >= 40. Groups:
    White, Black, Asian, Indian (race 0-3; "Others" (4) and files whose
    name does not parse are left out). Split: the file names, sorted, are
    shuffled with ``split_seed`` (1, as the MFD code; NumPy's generator
    here, so the exact images may differ from the code's); the last
    ``test_per_cell`` (100) images of every (race, age bin) cell form the
    test set (1,200 images), the rest the training set.

    Args:
        data_root (str): Folder that contains ``UTKFace/``.
        split (str): ``'train'`` or ``'test'``.
        test_per_cell (int): Test images per (race, age) cell. Defaults to
            100.
        split_seed (int): Seed of the shuffle. Defaults to 1.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``pipeline``, ``indices``, ...).
    """
    METAINFO = dict(
        classes=('0-19', '20-39', '40+'),
        groups=('White', 'Black', 'Asian', 'Indian'))

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 test_per_cell: int = 100,
                 split_seed: int = 1,
                 **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"UTKFace: split must be 'train' or 'test', got "
                             f'{split!r}.')
        self.split = split
        self.test_per_cell = test_per_cell
        self.split_seed = split_seed
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        folder = osp.join(self.data_root, 'UTKFace')
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'UTKFace: image folder {osp.abspath(folder)!r} not found '
                f'(config key: data_root={self.data_root!r}). {HOW_TO_GET}')
        samples, skipped = [], 0
        for name in sorted(os.listdir(folder)):
            if not name.endswith('.jpg'):
                continue
            fields = name.split('_')
            try:
                age, race = int(fields[0]), int(fields[2])
            except (IndexError, ValueError):
                skipped += 1
                continue
            if race > 3:
                continue  # "Others"
            samples.append((osp.join(folder, name), age_bin(age), race))
        if skipped:
            print_log(f'UTKFace: {skipped} file names without age and race '
                      'left out.', logger='current', level=logging.WARNING)
        order = np.random.RandomState(self.split_seed).permutation(
            len(samples))
        cells = {}
        for i in order:
            _, label, race = samples[i]
            cells.setdefault((race, label), []).append(i)
        chosen = []
        for key in sorted(cells):
            members = cells[key]
            if len(members) <= self.test_per_cell:
                raise ValueError(
                    f'UTKFace: the (race, age) cell {key} has '
                    f'{len(members)} images, not more than test_per_cell='
                    f'{self.test_per_cell}; lower test_per_cell.')
            cut = len(members) - self.test_per_cell
            chosen += members[cut:] if self.split == 'test' else members[:cut]
        data_list = [
            dict(img_path=samples[i][0], gt_label=samples[i][1],
                 group=samples[i][2]) for i in sorted(chosen)
        ]
        self._check_groups(data_list)
        return data_list
