# Copyright (c) OpenMMLab. All rights reserved.
"""Packing transforms of the contrastive (CRD-family) methods."""
import numpy as np
import torch
from mmpretrain.datasets.transforms import PackInputs

from mmkd_plus.registry import TRANSFORMS

__all__ = ['PackCRDInputs']


@TRANSFORMS.register_module()
class PackCRDInputs(PackInputs):
    """mmpretrain's ``PackInputs`` that also packs CRD's sample indices.

    "Contrastive Representation Distillation" (Tian, Krishnan & Isola, ICLR
    2020), https://arxiv.org/abs/1910.10699. The contrastive loss
    (:class:`~mmkd_plus.models.losses.SyncCRDLoss`) needs, for every
    sample, its index in the training set (``sample_idx``, the row of the
    memory banks) and, when the dataset is wrapped by
    :class:`~mmkd_plus.datasets.CRDDatasetWrapper`, the indices of its
    positive and negatives (``contrast_idx``, 1 + N integers).

    - ``sample_idx`` (set by every MMEngine dataset) goes into the data
      sample's metainfo as an int, as ``PackInputs`` does by default, even
      when ``meta_keys`` leaves it out;
    - ``contrast_idx`` (or MMRazor's ``contrast_sample_idxs``, stored as
      ``contrast_idx``) goes into the data sample as a long tensor of
      shape (1 + N, ).

    A replacement for MMRazor's ``PackCRDClsInputs``, which subclasses
    mmcls's ``PackClsInputs`` and cannot be built with mmpretrain alone.

    Args:
        **kwargs: The arguments of mmpretrain's ``PackInputs``.
    """

    def transform(self, results: dict) -> dict:
        """Pack the inputs, the annotations and the CRD indices.

        Args:
            results (dict): The result dict of the data pipeline.

        Returns:
            dict: ``inputs`` and ``data_samples`` (a ``DataSample``).
        """
        packed = super().transform(results)
        data_sample = packed['data_samples']
        if 'sample_idx' in results and 'sample_idx' not in data_sample:
            data_sample.set_metainfo(
                dict(sample_idx=int(results['sample_idx'])))
        for key in ('contrast_idx', 'contrast_sample_idxs'):
            if key in results:
                value = results[key]
                if isinstance(value, np.ndarray):
                    value = torch.from_numpy(value)
                value = torch.as_tensor(value, dtype=torch.long).reshape(-1)
                data_sample.set_field(value, 'contrast_idx')
                break
        return packed
