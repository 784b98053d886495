# Copyright (c) OpenMMLab. All rights reserved.
from .resnet_cifar import CIFARResNet

__all__ = ['CIFARResNet']
