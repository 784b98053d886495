# Copyright (c) OpenMMLab. All rights reserved.
"""What every fairness dataset shares: a sensitive-group label per sample.

Each sample's data info carries ``group`` (an int in ``[0, num_groups)``)
beside ``gt_label``. Pack it into mmpretrain's ``DataSample`` with
``dict(type='PackInputs', algorithm_keys=('group', ))``: the balanced
sampler, the fairness metric and MFD's loss read ``data_sample.group``.
"""
from typing import List, Sequence

import numpy as np

__all__ = ['FairnessDatasetMixin', 'read_groups', 'rgb_to_gray']


def rgb_to_gray(images: np.ndarray) -> np.ndarray:
    """Grey versions of uint8 RGB images, still with 3 equal channels.

    The luma of PIL's ``Image.convert('L')`` (ITU-R 601-2, the same
    fixed-point rounding), repeated over the three channels, as torchvision's
    ``Grayscale(num_output_channels=3)`` does.

    Args:
        images (np.ndarray): uint8, shape (..., H, W, 3).

    Returns:
        np.ndarray: uint8, the same shape.
    """
    rgb = images.astype(np.uint32)
    luma = (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471
            + 0x8000) >> 16
    return np.repeat(luma[..., None], 3, axis=-1).astype(np.uint8)


def read_groups(dataset) -> np.ndarray:
    """The group label of every sample of ``dataset`` (int64, one per
    sample).

    Uses ``dataset.get_groups()`` when the dataset has it, else the
    ``group`` key of every data info.

    Raises:
        ValueError: a sample has no group label; the message names the
            dataset and the sample.
    """
    if hasattr(dataset, 'get_groups'):
        return np.asarray(dataset.get_groups(), dtype=np.int64)
    groups = []
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        if 'group' not in info:
            raise ValueError(
                f'{type(dataset).__name__}: sample {idx} has no sensitive '
                'group label ("group" in its data info). Fairness methods '
                'need a dataset that gives one, e.g. CIFAR10S, DigitsS, '
                'UTKFace or CelebA.')
        groups.append(int(info['group']))
    return np.asarray(groups, dtype=np.int64)


class FairnessDatasetMixin:
    """Check and expose the ``group`` of every sample.

    A dataset class mixes this in front of an mmpretrain dataset; its
    ``METAINFO`` gives ``groups`` (the group names) beside ``classes``.
    After loading, every data info must hold an int ``group`` in
    ``[0, len(groups))``; otherwise one error names the dataset and the
    first bad sample.
    """

    def load_data_list(self) -> List[dict]:
        """The parent's data list, given groups by :meth:`add_groups`, then
        checked."""
        data_list = self.add_groups(super().load_data_list())
        self._check_groups(data_list)
        return data_list

    def add_groups(self, data_list: List[dict]) -> List[dict]:
        """Give each data info its ``group`` (subclasses; default: as is)."""
        return data_list

    @property
    def num_groups(self) -> int:
        """The number of sensitive groups."""
        return len(self.metainfo['groups'])

    def _check_groups(self, data_list: Sequence[dict]) -> None:
        num_groups = len(self.metainfo['groups'])
        for idx, info in enumerate(data_list):
            group = info.get('group')
            if group is None:
                raise ValueError(
                    f'{type(self).__name__}: sample {idx} has no sensitive '
                    'group label ("group" in its data info).')
            if not 0 <= int(group) < num_groups:
                raise ValueError(
                    f'{type(self).__name__}: sample {idx} has group '
                    f'{group}, outside [0, {num_groups}) of the groups '
                    f'{self.metainfo["groups"]}.')

    def get_groups(self) -> np.ndarray:
        """The group label of every sample (int64)."""
        return np.array(
            [int(self.get_data_info(i)['group']) for i in range(len(self))],
            dtype=np.int64)
