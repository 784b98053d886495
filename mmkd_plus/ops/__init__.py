# Copyright (c) OpenMMLab. All rights reserved.
"""Pure tensor operations (no registry): k-means for QuEST's vocabulary,
optimal transport for WCoRD's local term."""
from .kmeans import KMeansResult, compute_device, kmeans, squared_distances
from .optimal_transport import (cost_matrix, ipot_plan, transport_loss,
                                transport_plan)
from .reservoir import ReservoirSampler

__all__ = [
    'KMeansResult', 'ReservoirSampler', 'compute_device', 'kmeans',
    'squared_distances', 'cost_matrix', 'ipot_plan', 'transport_loss',
    'transport_plan'
]
