# Copyright (c) OpenMMLab. All rights reserved.
from .cifar import LocalCIFAR10, LocalCIFAR100
from .crd_dataset import CRDDatasetWrapper
from .digits import DigitsCIFAR, write_digits_cifar
from .imagenet import LocalImageNet
from .transforms import *  # noqa: F401,F403

__all__ = [
    'CRDDatasetWrapper', 'LocalCIFAR10', 'LocalCIFAR100', 'LocalImageNet',
    'DigitsCIFAR', 'write_digits_cifar'
]
