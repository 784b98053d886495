# Copyright (c) OpenMMLab. All rights reserved.
import math
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector

from mmkd_plus.ops.quest_fused import CosineScores
from mmkd_plus.registry import MODELS

__all__ = ['QuESTConnector']


@MODELS.register_module()
class QuESTConnector(BaseConnector):
    """QuEST's assignment predictor: a 1x1 cosine-similarity convolution.

    "QuEST: Quantized embedding space for transferring knowledge" (Jain et
    al., ECCV 2020), https://arxiv.org/abs/1912.01540. At every position u
    of the student map it scores the K visual words with

        scores_k(u) = gamma * <f(u) / ||f(u)||, w_k / ||w_k||> (+ b_k)

    and :class:`QuESTLoss` turns the scores into the student's assignment
    ``p_S = softmax_k(scores)``. By default (``lazy``) it returns the
    scores' inputs, which the loss projects chunk by chunk. As in the
    authors' ``Conv2dCos`` (https://github.com/valeoai/QuEST,
    ``distillation/architectures/tools.py``): ``W`` is ``K x C x 1 x 1``
    drawn from N(0, sqrt(2 / C)), gamma is a learnable scalar initialised
    at 3.0, no bias, and no projection before it. Their transfer-learning
    configs use gamma = 10 fixed (``learn_scale=False``) and ``bias=True``.

    Args:
        in_channels (int): Student channels C.
        num_words (int): Vocabulary size K. Defaults to 4096.
        scale_init (float): Initial gamma. Defaults to 3.0.
        learn_scale (bool): Whether gamma is learned. Defaults to True.
        bias (bool): Add a learnable per-word bias (initialised at zero,
            not scaled by gamma). Defaults to False.
        lazy (bool): Return the projection's inputs, a
            :class:`~mmkd_plus.ops.quest_fused.CosineScores`, instead of the
            scores, so that :class:`QuESTLoss` (fused) computes the scores
            chunk by chunk and never keeps them whole; its ``materialize()``
            gives the scores. False returns the ``(B, K, H, W)`` scores (for
            a loss other than QuESTLoss). Defaults to True.
        init_cfg (dict, optional): The config to control the
            initialization. Defaults to None (the N(0, sqrt(2/C)) draw).

    Example:
        >>> connectors = dict(
        ...     quest_head=dict(type='QuESTConnector', in_channels=64,
        ...                     num_words=4096))
    """

    def __init__(self,
                 in_channels: int,
                 num_words: int = 4096,
                 scale_init: float = 3.0,
                 learn_scale: bool = True,
                 bias: bool = False,
                 lazy: bool = True,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or num_words < 1:
            raise ValueError('in_channels and num_words must be positive, '
                             f'got {in_channels} and {num_words}.')
        self.in_channels = in_channels
        self.num_words = num_words
        self.lazy = lazy
        self.weight = nn.Parameter(
            torch.empty(num_words, in_channels, 1,
                        1).normal_(0.0, math.sqrt(2.0 / in_channels)))
        self.scale = nn.Parameter(torch.tensor(float(scale_init)),
                                  requires_grad=learn_scale)
        self.bias = nn.Parameter(torch.zeros(num_words)) if bias else None

    def forward_train(self, feature: torch.Tensor):
        """Score every word at every position.

        Args:
            feature (torch.Tensor): Student map, shape (B, C, H, W), any
                float dtype (cast to the weight's dtype, so fp16/bf16
                features meet fp32 weights under AMP).

        Returns:
            torch.Tensor | CosineScores: Scores (logits, not
            probabilities), shape (B, K, H, W), each within
            ``[-|gamma|, |gamma|]`` (plus the bias); with ``lazy``, their
            inputs instead.
        """
        if feature.dim() != 4 or feature.shape[1] != self.in_channels:
            raise ValueError(
                f'QuESTConnector expects (B, {self.in_channels}, H, W) '
                f'student features (in_channels={self.in_channels}), got '
                f'shape {tuple(feature.shape)}.')
        scores = CosineScores(feature, self.weight, self.scale, self.bias)
        return scores if self.lazy else scores.materialize()
