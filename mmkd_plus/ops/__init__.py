# Copyright (c) OpenMMLab. All rights reserved.
"""Pure tensor operations (no registry): k-means for QuEST's vocabulary."""
from .kmeans import (KMeansResult, assign, kmeans, kmeans_torch,
                     squared_distances)

__all__ = [
    'KMeansResult', 'assign', 'kmeans', 'kmeans_torch', 'squared_distances'
]
