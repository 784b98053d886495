# Copyright (c) OpenMMLab. All rights reserved.
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from torch import Tensor

from mmkd_plus.ops.contrastive import crd_nce_loss, normalize_scores
from mmkd_plus.ops.kd_functional import autocast_off
from mmkd_plus.registry import MODELS
from .crd_memory import CRDMemory, CRDQueueMemory

__all__ = ['SyncCRDLoss']

# keys a data sample may carry the (1 + N) contrast indices under: ours
# (PackCRDInputs) and MMRazor's (PackCRDClsInputs / CRDDataset)
CONTRAST_KEYS = ('contrast_idx', 'contrast_sample_idxs')
MEMORY_TYPES = ('bank', 'queue')
SAMPLE_MODES = (None, 'exact', 'uniform')


@MODELS.register_module()
class SyncCRDLoss(nn.Module):
    """CRD's contrastive loss with a memory bank kept in sync under DDP.

    "Contrastive Representation Distillation" (Tian, Krishnan & Isola, ICLR
    2020), https://arxiv.org/abs/1910.10699. Semantics of the CRD
    benchmark's ``CRDLoss``/``ContrastMemory``/``ContrastLoss``
    (``crd/`` of https://github.com/HobbitLong/RepDistiller), written
    afresh; the embeddings (``Embed``: linear + L2-norm) are MMRazor's
    ``CRDConnector`` on both sides, configured as connectors.

    For a batch of student and teacher embeddings ``s``, ``t`` (B, D) and
    contrast indices ``c`` (B, 1 + N: the positive, then N negatives):

    - ``h_s[b, k] = exp(<memory_t[c[b, k]], s[b]> / tau) / Z_s`` and
      ``h_t[b, k] = exp(<memory_s[c[b, k]], t[b]> / tau) / Z_t``;
    - ``Z_s`` and ``Z_t`` are estimated once, on the first batch:
      ``mean(exp(...)) * num_data``;
    - ``loss = loss_weight * (NCE(h_s) + NCE(h_t))`` with the NCE of
      :func:`~mmkd_plus.ops.contrastive.crd_nce_loss` (noise
      ``P_n = 1 / num_data``);
    - then (training mode only) the memory rows of the batch's samples move
      towards ``s`` and ``t`` with ``momentum`` and are re-normalised.

    **Negatives.** The contrast indices come from the data: the dataset
    wrapper :class:`~mmkd_plus.datasets.CRDDatasetWrapper` draws, per
    sample, N indices of samples of *other* classes (the benchmark's
    ``'exact'`` mode, positive = the sample itself) and
    :class:`~mmkd_plus.datasets.transforms.PackCRDInputs` puts them in the
    data sample as ``contrast_idx`` (MMRazor's ``contrast_sample_idxs``
    is read too). Without them, the loss falls back to the benchmark's
    memory-side sampling: N indices uniform over the whole dataset (which
    may include same-class samples), the positive at column 0.
    ``sample_mode='exact'`` makes the data's indices compulsory (a batch
    without them is an error instead of the fallback); ``'uniform'``
    always draws them in the loss, ignoring the data's.

    **Queue memory.** ``memory='queue'`` replaces the two full banks
    (2 x num_data x feat_dim) by two queues of the ``queue_size`` most
    recent embeddings (:class:`~mmkd_plus.models.losses.crd_memory.
    CRDQueueMemory`, MoCo-style), for datasets whose banks do not fit
    (ImageNet). The positive of a student anchor is then the teacher
    embedding of the same sample (detached), the negatives the whole
    teacher queue (and symmetrically); N = ``queue_size``, no contrast
    indices and no ``sample_idx`` are needed (``data_samples`` may be
    omitted), and the queues are filled with the all-gathered batch of
    every rank after each training step. ``num_data`` is still the size
    of the training set (the NCE noise ``1 / num_data``).

    **DDP.** When torch.distributed is initialised with more than one rank,
    the memory update all-gathers the embeddings and indices of every rank
    before the momentum update, the ``Z`` constants are a mean over the
    first batch of all ranks, and the banks are broadcast from rank 0 at
    that first step; every rank's memory is then identical at every step
    (MMRazor 1.0.0's ``CRDLoss`` keeps an unsynchronised copy per rank).
    Every rank must call ``forward`` at the same steps, as in any DDP
    training step.

    **Checkpoints.** The banks, ``Z_s``, ``Z_t`` and the flag that they are
    set are buffers (``memory.*`` in the state dict; with the queue,
    ``memory.queue_s``, ``memory.queue_t`` and ``memory.queue_ptr``
    instead of the banks): a resumed run continues from exactly the saved
    memory state (the random draws of the negatives are the data
    pipeline's, outside the checkpoint).

    Unlike MMRazor 1.0.0's ``CRDLoss``, ``loss_weight`` is applied (0
    gives 0) and messages go through MMEngine's logger.

    Args:
        num_data (int): Number of training samples, the rows of each memory
            bank (50000 for CIFAR-100). Every ``sample_idx`` must be below.
        feat_dim (int): Embedding dimension. Defaults to 128.
        num_negatives (int): N, negatives per anchor (the width of
            ``contrast_idx`` minus one). It must equal the dataset
            wrapper's (``train_dataloader.dataset.num_negatives``): a batch
            of another width raises one error naming both keys, at the
            first training step. Defaults to 16384.
        temperature (float): ``tau``. Defaults to 0.07.
        momentum (float): Memory momentum. Defaults to 0.5.
        loss_weight (float): Weight of the loss (the benchmark's beta).
            Defaults to 0.8.
        eps (float): In the NCE denominators, as in the benchmark.
            Defaults to 1e-7.
        memory (str): ``'bank'`` (a row per training sample, the
            benchmark's) or ``'queue'`` (the most recent ``queue_size``
            embeddings). Defaults to ``'bank'``.
        queue_size (int): Rows of each queue (the negatives per anchor)
            when ``memory='queue'``; at least the global batch size.
            Defaults to 16384 (the benchmark's number of negatives).
        sample_mode (str, optional): Where the bank's contrast indices come
            from: None (the data's if the batch carries them, else uniform
            draws), ``'exact'`` (the data's, compulsory: wrap the train set
            with ``CRDDatasetWrapper``) or ``'uniform'`` (always drawn
            here). Must be None with the queue. Defaults to None.

    Example:
        >>> student_recorders = dict(
        ...     feat=dict(type='ModuleOutputs', source='neck'),
        ...     data_samples=dict(
        ...         type='MethodInputs',
        ...         source='mmpretrain.models.classifiers.'
        ...         'ImageClassifier.loss'))
        >>> connectors = dict(
        ...     crd_s=dict(type='CRDConnector', dim_in=256, dim_out=128),
        ...     crd_t=dict(type='CRDConnector', dim_in=256, dim_out=128))
        >>> distill_losses = dict(
        ...     loss_crd=dict(type='SyncCRDLoss', num_data=50000))
        >>> loss_forward_mappings = dict(
        ...     loss_crd=dict(
        ...         s_feats=dict(from_student=True, recorder='feat',
        ...                      data_idx=0, connector='crd_s'),
        ...         t_feats=dict(from_student=False, recorder='feat',
        ...                      data_idx=0, connector='crd_t'),
        ...         data_samples=dict(from_student=True,
        ...                           recorder='data_samples', data_idx=1)))
    """

    def __init__(self,
                 num_data: int,
                 feat_dim: int = 128,
                 num_negatives: int = 16384,
                 temperature: float = 0.07,
                 momentum: float = 0.5,
                 loss_weight: float = 0.8,
                 eps: float = 1e-7,
                 memory: str = 'bank',
                 queue_size: int = 16384,
                 sample_mode: Optional[str] = None) -> None:
        super().__init__()
        name = type(self).__name__
        if num_negatives <= 0:
            raise ValueError(
                f'num_negatives must be > 0, got {num_negatives}.')
        if memory not in MEMORY_TYPES:
            raise ValueError(f'{name}: memory must be one of {MEMORY_TYPES}, '
                             f'got {memory!r}.')
        if sample_mode not in SAMPLE_MODES:
            raise ValueError(f'{name}: sample_mode must be one of '
                             f'{SAMPLE_MODES}, got {sample_mode!r}.')
        if memory == 'queue' and sample_mode is not None:
            raise ValueError(
                f'{name}: sample_mode={sample_mode!r} chooses the negatives '
                'of the bank; with memory=\'queue\' the negatives are the '
                'queue: leave sample_mode None.')
        self.num_data = num_data
        self.feat_dim = feat_dim
        self.num_negatives = num_negatives
        self.loss_weight = loss_weight
        self.eps = eps
        self.memory_type = memory
        self.sample_mode = sample_mode
        #: the loss's config key, named in errors; the distillation
        #: algorithm sets it to its key in the distiller
        self.config_key = 'model.distiller.distill_losses.<name>'
        self.memory: Union[CRDMemory, CRDQueueMemory]
        if memory == 'bank':
            self.memory = CRDMemory(num_data, feat_dim, temperature, momentum)
        else:
            self.memory = CRDQueueMemory(num_data, queue_size, feat_dim,
                                         temperature)

    def forward(self,
                s_feats: Tensor,
                t_feats: Tensor,
                data_samples: Optional[Sequence] = None) -> Tensor:
        """Forward function.

        Args:
            s_feats (Tensor): Student embeddings (the student
                ``CRDConnector``'s L2-normalised output), shape (B, D).
            t_feats (Tensor): Teacher embeddings, shape (B, D).
            data_samples (Sequence[DataSample], optional): The batch's
                samples; with the bank each needs ``sample_idx`` (its index
                in the training set) and may carry ``contrast_idx``
                (1 + N indices). Not needed with the queue.

        Returns:
            Tensor: The weighted loss, a scalar.
        """
        return self.loss_weight * self.contrast_loss(s_feats, t_feats,
                                                     data_samples)

    def contrast_loss(self, s_feats: Tensor, t_feats: Tensor,
                      data_samples: Optional[Sequence]) -> Tensor:
        """The unweighted NCE of both directions; updates the memory.

        The whole computation of :meth:`forward` but ``loss_weight``: the
        scores against the memory (``Z`` set on the first call), the NCE,
        then, in training mode, the memory update.

        Args:
            s_feats (Tensor): Student embeddings, shape (B, D).
            t_feats (Tensor): Teacher embeddings, shape (B, D).
            data_samples (Sequence[DataSample], optional): As in
                :meth:`forward`.

        Returns:
            Tensor: The loss, a scalar.
        """
        s_feats = s_feats.flatten(1)
        t_feats = t_feats.flatten(1)
        if (s_feats.shape[1] != self.feat_dim
                or t_feats.shape != s_feats.shape):
            raise ValueError(
                f'{type(self).__name__} expects embeddings of shape (B, '
                f'{self.feat_dim}) (feat_dim; the CRDConnector outputs), '
                f'got {tuple(s_feats.shape)} and {tuple(t_feats.shape)}.')
        device = s_feats.device
        memory = self.memory
        sample_idx = None
        if isinstance(memory, CRDQueueMemory):
            memory.check_batch(s_feats.shape[0])
        else:
            sample_idx, contrast_idx = self._indices(data_samples,
                                                     s_feats.shape[0], device)
            if contrast_idx is None:
                contrast_idx = self._uniform_contrast(sample_idx)
        first_step = not bool(memory.z_set)
        if first_step:
            # under DDP: every rank starts from rank 0's banks
            memory.broadcast_banks()
        with autocast_off(device):
            if isinstance(memory, CRDQueueMemory):
                exp_s, exp_t = memory.exp_scores(s_feats, t_feats)
            else:
                exp_s, exp_t = memory.exp_scores(s_feats, t_feats,
                                                 contrast_idx)
            if first_step:
                memory.set_partition(exp_s, exp_t)
                print_log(
                    f'{type(self).__name__}: normalisation constants set to '
                    f'Z_s = {memory.z_s.item():.1f}, '
                    f'Z_t = {memory.z_t.item():.1f}',
                    logger='current')
            h_s = normalize_scores(exp_s, memory.z_s)
            h_t = normalize_scores(exp_t, memory.z_t)
            loss = crd_nce_loss(h_s, self.num_data, self.eps) + \
                crd_nce_loss(h_t, self.num_data, self.eps)
        if self.training:
            memory.update(s_feats, t_feats, sample_idx)
        return loss

    def _uniform_contrast(self, sample_idx: Tensor) -> Tensor:
        """(B, 1 + N) indices: the sample, then N uniform over the data."""
        negatives = torch.randint(
            0,
            self.num_data, (sample_idx.numel(), self.num_negatives),
            device=sample_idx.device)
        return torch.cat([sample_idx.view(-1, 1), negatives], dim=1)

    def _indices(self, data_samples: Optional[Sequence], batch: int,
                 device: torch.device) -> Tuple[Tensor, Optional[Tensor]]:
        """``sample_idx`` (B, ) and ``contrast_idx`` (B, 1 + N) or None."""
        name = type(self).__name__
        if data_samples is None or len(data_samples) != batch:
            raise ValueError(
                f'{name} needs the batch\'s data samples (one per '
                'feature row, got '
                f'{None if data_samples is None else len(data_samples)} '
                f'for {batch} rows): record them on the student (e.g. '
                'MethodInputs on mmpretrain.models.classifiers.'
                'ImageClassifier.loss, data_idx=1) and map them as '
                'data_samples in loss_forward_mappings.')
        if not all('sample_idx' in s for s in data_samples):
            raise ValueError(
                f'{name} needs `sample_idx` (the index of each sample in '
                'the training set) in every data sample: pack the train '
                'pipeline with PackCRDInputs (and wrap the dataset with '
                'CRDDatasetWrapper for the contrast indices).')
        values = [int(torch.as_tensor(s.sample_idx)) for s in data_samples]
        sample_idx = torch.tensor(values, dtype=torch.long, device=device)
        if int(sample_idx.min()) < 0 or int(sample_idx.max()) >= self.num_data:
            raise ValueError(
                f'{name}: sample_idx out of range [0, '
                f'{self.num_data}) (num_data): got {sample_idx.tolist()}; '
                'set num_data to the size of the training set.')
        if self.sample_mode == 'uniform':
            return sample_idx, None  # drawn by the caller, the data's unused
        key = next((k for k in CONTRAST_KEYS if k in data_samples[0]), None)
        if key is None:
            if any(k in s for s in data_samples for k in CONTRAST_KEYS):
                raise ValueError(f'{name}: some data samples of the '
                                 'batch have contrast indices, others not.')
            if self.sample_mode == 'exact':
                raise ValueError(
                    f'{name}: sample_mode=\'exact\' needs the contrast '
                    'indices of every sample (`contrast_idx`), and the batch '
                    'has none: wrap the train dataset with CRDDatasetWrapper '
                    'and pack it with PackCRDInputs, or set sample_mode=None '
                    '(uniform negatives when the data has none).')
            return sample_idx, None
        rows: List[Tensor] = []
        for s in data_samples:
            if key not in s:
                raise ValueError(f'{name}: some data samples of the '
                                 f'batch have `{key}`, others not.')
            rows.append(torch.as_tensor(s.get(key)).reshape(-1))
        contrast_idx = torch.stack(rows).to(device=device, dtype=torch.long)
        if contrast_idx.shape[1] != self.num_negatives + 1:
            data_n = contrast_idx.shape[1] - 1
            raise ValueError(
                f'{name}: the batch\'s contrast indices (`{key}`) hold 1 + '
                f'{data_n} negatives per sample '
                f'(train_dataloader.dataset.num_negatives={data_n}, the '
                'dataset wrapper\'s), the loss expects 1 + '
                f'{self.num_negatives} ({self.config_key}.num_negatives='
                f'{self.num_negatives}). Give both the same value, e.g. '
                '--cfg-options train_dataloader.dataset.num_negatives=N '
                f'{self.config_key}.num_negatives=N.')
        if int(contrast_idx.min()) < 0 or int(
                contrast_idx.max()) >= self.num_data:
            raise ValueError(
                f'{name}: `{key}` out of range [0, {self.num_data}) '
                '(num_data): set num_data to the size of the training set.')
        return sample_idx, contrast_idx
