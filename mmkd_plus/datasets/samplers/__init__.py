# Copyright (c) OpenMMLab. All rights reserved.
from .epoch_tagged_sampler import EpochTaggedSampler
from .group_balanced_sampler import GroupBalancedBatchSampler

__all__ = ['EpochTaggedSampler', 'GroupBalancedBatchSampler']
