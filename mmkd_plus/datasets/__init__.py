# Copyright (c) OpenMMLab. All rights reserved.
from .celeba import CelebA
from .cifar import LocalCIFAR10, LocalCIFAR100
from .cifar10s import CIFAR10S, DigitsS
from .crd_dataset import CRDDatasetWrapper
from .digits import DigitsCIFAR, write_digits_cifar
from .fairness import FairnessDatasetMixin, read_groups, rgb_to_gray
from .imagenet import LocalImageNet
from .samplers import EpochTaggedSampler, GroupBalancedBatchSampler
from .teacher_cache import TeacherCache
from .teacher_cache_dataset import TeacherCacheDataset
from .transforms import *  # noqa: F401,F403
from .utkface import UTKFace

__all__ = [
    'CRDDatasetWrapper', 'LocalCIFAR10', 'LocalCIFAR100', 'LocalImageNet',
    'DigitsCIFAR', 'write_digits_cifar', 'CIFAR10S', 'DigitsS',
    'FairnessDatasetMixin', 'read_groups', 'rgb_to_gray',
    'GroupBalancedBatchSampler', 'UTKFace', 'CelebA', 'EpochTaggedSampler',
    'TeacherCache', 'TeacherCacheDataset'
]
