# Copyright (c) OpenMMLab. All rights reserved.
"""Pure tensor operations (no registry): k-means for QuEST's vocabulary."""
from .kmeans import KMeansResult, compute_device, kmeans, squared_distances
from .reservoir import ReservoirSampler

__all__ = [
    'KMeansResult', 'ReservoirSampler', 'compute_device', 'kmeans',
    'squared_distances'
]
