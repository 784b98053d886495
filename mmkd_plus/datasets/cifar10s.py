# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR-10S and its digits analogue: colour versus grey as the sensitive
group, with a class-dependent skew.

CIFAR-10S is from "Towards Fairness in Visual Recognition: Effective
Strategies for Bias Mitigation" (Wang et al., CVPR 2020,
https://arxiv.org/abs/1911.11834), in the form used by "Fair Feature
Distillation for Visual Recognition" (Jung et al., CVPR 2021,
https://arxiv.org/abs/2106.04411) and its public code (written afresh here).
"""
import colorsys
from abc import ABCMeta, abstractmethod
from typing import List, Optional, Sequence

import numpy as np

from mmkd_plus.registry import DATASETS
from .cifar import LocalCIFAR10
from .digits import DigitsCIFAR
from .fairness import FairnessDatasetMixin, rgb_to_gray

__all__ = ['CIFAR10S', 'DigitsS', 'skewed_gray_mask']

GROUPS = ('gray', 'color')
_TEST_VERSIONS = ('both', 'gray', 'color')
_PARTS = ('train', 'val', 'test')


def skewed_gray_mask(labels: Sequence[int], skew: float, seed: int,
                     gray_classes: Sequence[int]) -> np.ndarray:
    """Which training images become grey (the CIFAR-10S assignment).

    The images are visited in an order shuffled with ``seed``; of each class
    in ``gray_classes`` the first ``round(skew * n_c)`` seen become grey,
    of every other class the first ``round((1 - skew) * n_c)`` (CIFAR-10
    with skew 0.8: 4,000 of 5,000 grey for classes 0-4, 1,000 for 5-9).
    Which images are grey therefore depends on the seed.

    Args:
        labels (Sequence[int]): The class of every training image.
        skew (float): The fraction of grey images in ``gray_classes``, in
            (0.5, 1].
        seed (int): The shuffling seed.
        gray_classes (Sequence[int]): The mostly grey classes.

    Returns:
        np.ndarray: bool, True where the image is grey.
    """
    labels = np.asarray(labels, dtype=np.int64)
    order = np.random.RandomState(seed).permutation(len(labels))
    gray = np.zeros(len(labels), dtype=bool)
    gray_set = set(int(c) for c in gray_classes)
    for cls in np.unique(labels):
        seen = order[labels[order] == cls]
        frac = skew if int(cls) in gray_set else 1.0 - skew
        gray[seen[:int(round(frac * len(seen)))]] = True
    return gray


class _SkewedColourMixin(FairnessDatasetMixin, metaclass=ABCMeta):
    """Group 0 = grey, 1 = colour; a skewed training split, and a test split
    holding every image in both versions (or one of them).

    A validation split carved from the training images: with
    ``holdout=N`` the last ``N`` images of the training file leave
    ``split='train'`` (whose skew is then drawn over the images before
    them) and form ``split='val'``, which holds them like the test split:
    in both versions (or the one of ``test_versions``), so per-(group,
    class) accuracies and DEO exist on it. ``split='val'`` reads the
    training file: ``self.split`` is mmpretrain's file split (``'train'``),
    ``self.part`` the part (``'train'``, ``'val'`` or ``'test'``).

    Subclasses define :meth:`to_gray` and :meth:`to_color` on a uint8
    (N, H, W, 3) batch; ``idx`` is each image's index in its file.
    """

    def __init__(self,
                 *args,
                 split: str = 'train',
                 skew: float = 0.8,
                 seed: int = 0,
                 gray_classes: Optional[Sequence[int]] = None,
                 test_versions: str = 'both',
                 holdout: int = 0,
                 **kwargs) -> None:
        name = type(self).__name__
        if split not in _PARTS:
            raise ValueError(f'{name}: split must be one of {_PARTS}, got '
                             f'{split!r}.')
        if not 0.5 < skew <= 1.0:
            raise ValueError(f'{name}: skew must be in (0.5, 1], got '
                             f'{skew}.')
        if test_versions not in _TEST_VERSIONS:
            raise ValueError(
                f'{name}: test_versions must be one of '
                f'{_TEST_VERSIONS}, got {test_versions!r}.')
        if int(holdout) != holdout or holdout < 0:
            raise ValueError(f'{name}: holdout must be an int >= 0, got '
                             f'{holdout!r}.')
        if split == 'val' and holdout < 1:
            raise ValueError(
                f"{name}: split='val' is the last `holdout` training "
                f'images; give holdout >= 1 (got {holdout}).')
        self.part = split
        self.skew = skew
        self.seed = seed
        self.gray_classes = gray_classes
        self.test_versions = test_versions
        self.holdout = int(holdout)
        super().__init__(
            *args, split='test' if split == 'test' else 'train', **kwargs)

    @abstractmethod
    def to_gray(self, imgs: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """The grey version of images ``imgs`` (of samples ``idx``)."""

    @abstractmethod
    def to_color(self, imgs: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """The colour version of images ``imgs`` (of samples ``idx``)."""

    def add_groups(self, data_list: List[dict]) -> List[dict]:
        idx = np.arange(len(data_list))
        if self.part != 'test' and self.holdout:
            if self.holdout >= len(data_list):
                raise ValueError(
                    f'{type(self).__name__}: holdout={self.holdout} leaves '
                    f'no training image of the {len(data_list)}.')
            cut = len(data_list) - self.holdout
            idx = idx[cut:] if self.part == 'val' else idx[:cut]
        data_list = [data_list[i] for i in idx]
        imgs = np.stack([info['img'] for info in data_list])
        labels = np.array([info['gt_label'] for info in data_list])
        if self.part == 'train':
            num_classes = len(self.metainfo['classes'])
            gray_classes = (range(num_classes // 2) if self.gray_classes
                            is None else self.gray_classes)
            gray = skewed_gray_mask(labels, self.skew, self.seed,
                                    gray_classes)
            out = self.to_color(imgs, idx)
            out[gray] = self.to_gray(imgs[gray], idx[gray])
            return [
                dict(img=img, gt_label=int(y), group=int(not g))
                for img, y, g in zip(out, labels, gray)
            ]
        versions = []
        if self.test_versions in ('both', 'gray'):
            versions.append((0, self.to_gray(imgs, idx)))
        if self.test_versions in ('both', 'color'):
            versions.append((1, self.to_color(imgs, idx)))
        return [
            dict(img=img, gt_label=int(y), group=group)
            for group, out in versions for img, y in zip(out, labels)
        ]


@DATASETS.register_module()
class CIFAR10S(_SkewedColourMixin, LocalCIFAR10):
    """CIFAR-10S: CIFAR-10 with grey (group 0) and colour (group 1) images.

    Training split (50,000 images): with ``skew=0.8`` (the MFD code's
    default; Wang et al. used 0.95), 80 % of the images of classes 0-4
    (airplane ... deer) are grey and 80 % of classes 5-9 are colour. Which
    images are grey depends on ``seed`` (see :func:`skewed_gray_mask`): the
    MFD code shuffles with the run's seed, so give the same value as
    ``randomness.seed``. Test split: by default all 10,000 test images in
    both versions (20,000 samples: first grey, then colour), as the MFD
    code evaluates.

    Grey is PIL's luma repeated over three channels (:func:`rgb_to_gray`).
    Pack the group with ``dict(type='PackInputs', algorithm_keys=('group',
    ))``.

    Args:
        data_root (str): Folder that contains ``cifar-10-batches-py/``.
        split (str): ``'train'``, ``'val'`` (the last ``holdout``
            training images, in the versions of ``test_versions``) or
            ``'test'``. Defaults to ``'train'``.
        skew (float): Fraction of grey images in ``gray_classes`` (and of
            colour ones in the others). Defaults to 0.8.
        seed (int): Seed of the grey/colour assignment. Defaults to 0.
        gray_classes (Sequence[int], optional): The mostly grey classes.
            Defaults to the first half (0-4).
        test_versions (str): ``'both'``, ``'gray'`` or ``'color'``: which
            versions the test (and val) split holds. Defaults to ``'both'``.
        holdout (int): The last ``holdout`` images of the training file
            form the ``'val'`` split and leave ``'train'``; give the same
            value to both. Defaults to 0 (no validation split).
        **kwargs: Other arguments of mmpretrain's ``CIFAR10``.
    """
    METAINFO = dict(LocalCIFAR10.METAINFO, groups=GROUPS)

    def to_gray(self, imgs: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return rgb_to_gray(imgs)

    def to_color(self, imgs: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return imgs.copy()


@DATASETS.register_module()
class DigitsS(_SkewedColourMixin, DigitsCIFAR):
    """The digits analogue of CIFAR-10S: grey (group 0) and coloured
    (group 1) digits with the same skew.

    The bundled scikit-learn digits (:class:`DigitsCIFAR`, grey) are the grey
    version; the colour version tints each digit's strokes with a hue drawn
    once per image (fully saturated, fixed seed 0, independent of ``seed``,
    so a test image has the same colour in every run). Training split
    (1,438 images): with ``skew=0.8`` 80 % of digits 0-4 are grey and 80 %
    of digits 5-9 coloured; test split: the 359 test digits in both
    versions (718 samples). ``holdout=287`` (a fifth) leaves 1,151
    training digits and a validation split of 287 digits in both versions
    (574 samples); every class has held-out digits (the training file
    follows scikit-learn's order, which cycles through the classes). A
    held-out digit has the colour it has in the full training split.
    Arguments as :class:`CIFAR10S`.
    """
    METAINFO = dict(DigitsCIFAR.METAINFO, groups=GROUPS)

    def to_gray(self, imgs: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return rgb_to_gray(imgs)

    def to_color(self, imgs: np.ndarray, idx: np.ndarray) -> np.ndarray:
        rng = np.random.RandomState(0)
        # one hue per sample of the split, drawn in index order
        hues = rng.uniform(0.0, 1.0, size=int(idx.max()) + 1 if len(idx)
                           else 0)[idx]
        tint = np.array([colorsys.hsv_to_rgb(h, 1.0, 1.0) for h in hues],
                        dtype=np.float64).reshape(-1, 1, 1, 3)
        luma = rgb_to_gray(imgs)[..., :1].astype(np.float64)
        return np.round(luma * tint).astype(np.uint8)
