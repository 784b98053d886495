# Copyright (c) OpenMMLab. All rights reserved.
from .cifar_net import CIFARNet
from .mobilenetv1 import MobileNetV1
from .mobilenetv2_cifar import CIFARMobileNetV2
from .resnet50_cifar import CIFARBottleneckResNet
from .resnet_cifar import CIFARResNet
from .shufflenet_cifar import CIFARShuffleNetV1, CIFARShuffleNetV2
from .vgg_cifar import CIFARVGG
from .wrn_cifar import CIFARWideResNet

__all__ = [
    'CIFARResNet', 'CIFARBottleneckResNet', 'CIFARWideResNet', 'CIFARVGG',
    'CIFARMobileNetV2', 'MobileNetV1', 'CIFARShuffleNetV1',
    'CIFARShuffleNetV2', 'CIFARNet'
]
