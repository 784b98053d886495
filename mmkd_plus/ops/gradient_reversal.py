# Copyright (c) OpenMMLab. All rights reserved.
"""The gradient-reversal layer of adversarial training."""
import torch
from torch import Tensor

__all__ = ['grad_reverse']


class _GradReverse(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return -ctx.scale * grad, None


def grad_reverse(x: Tensor, scale: float = 1.0) -> Tensor:
    """Identity forward; the gradient is multiplied by ``-scale`` backward.

    "Unsupervised Domain Adaptation by Backpropagation" (Ganin and
    Lempitsky, ICML 2015, https://arxiv.org/abs/1409.7495): a network before
    the layer and an adversary after it can be trained with one backward
    pass, the adversary minimising its loss while the network maximises it
    (scaled by ``scale``).

    Args:
        x (Tensor): Any tensor.
        scale (float): The reversed gradient's factor (>= 0).
    """
    return _GradReverse.apply(x, scale)
