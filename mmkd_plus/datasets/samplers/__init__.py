# Copyright (c) OpenMMLab. All rights reserved.
from .group_balanced_sampler import GroupBalancedBatchSampler

__all__ = ['GroupBalancedBatchSampler']
