# Copyright (c) OpenMMLab. All rights reserved.
"""Pure tensor operations (no registry): k-means for QuEST's vocabulary,
optimal transport for WCoRD's local term, MMD for MFD."""
from .gradient_reversal import grad_reverse
from .kmeans import KMeansResult, compute_device, kmeans, squared_distances
from .mmd import mean_squared_distance, mmd2, poly_kernel, rbf_kernel
from .optimal_transport import (cost_matrix, ipot_plan, transport_loss,
                                transport_plan)
from .reservoir import ReservoirSampler

__all__ = [
    'KMeansResult', 'ReservoirSampler', 'compute_device', 'kmeans',
    'squared_distances', 'cost_matrix', 'ipot_plan', 'transport_loss',
    'transport_plan', 'mean_squared_distance', 'mmd2', 'poly_kernel',
    'rbf_kernel', 'grad_reverse'
]
