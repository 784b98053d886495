# Copyright (c) OpenMMLab. All rights reserved.
"""mmpretrain's classification data preprocessor for multi-view batches."""
import torch
from mmpretrain.models.utils import ClsDataPreprocessor

from mmkd_plus.registry import PRETRAIN_MODELS

__all__ = ['MultiViewDataPreprocessor']


@PRETRAIN_MODELS.register_module()
class MultiViewDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that also takes samples of V views each.

    A sample packed by :class:`~mmkd_plus.datasets.transforms.
    PackMultiViewInputs` is a (V, C, H, W) tensor. Every view is processed
    as mmpretrain processes one image (BGR-to-RGB, normalisation, padding)
    and the batch is returned as (B, V, C, H, W), view 0 being the normal
    image; the B data samples are unchanged. Single-view batches (the
    validation and test pipelines) are processed exactly as by
    ``ClsDataPreprocessor``.

    (``ClsDataPreprocessor`` alone would stack (V, C, H, W) samples too, but
    it would treat the view axis as the channel axis: no colour conversion
    when V != 3, and a wrong one when V == 3.)

    Args:
        **kwargs: The arguments of ``ClsDataPreprocessor``.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Process a batch of single- or multi-view samples.

        Args:
            data (dict): ``inputs`` and ``data_samples`` from the loader.
            training (bool): Whether in training.

        Returns:
            dict: ``inputs`` (B, C, H, W) or (B, V, C, H, W), and
            ``data_samples``.
        """
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs) if inputs.dim() == 5 else inputs
        if not (isinstance(inputs,
                           (list, tuple)) and inputs and inputs[0].dim() == 4):
            return super().forward(data, training)
        num_views = {x.size(0) for x in inputs}
        if len(num_views) != 1:
            raise ValueError(
                f'samples with different numbers of views {num_views} in one '
                'batch; every sample must have the same views.')
        if self.batch_augments is not None:
            raise ValueError(
                'batch augmentations (data_preprocessor.batch_augments) '
                'cannot be combined with multi-view samples.')
        num_views = num_views.pop()
        flat = [view for x in inputs for view in x]
        out = super().forward(dict(data, inputs=flat), training)
        out['inputs'] = out['inputs'].reshape(
            len(inputs), num_views, *out['inputs'].shape[1:])
        return out
