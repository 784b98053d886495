# Copyright (c) OpenMMLab. All rights reserved.
import logging
from typing import Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub, print_log

from mmkd_plus.ops.kmeans import compute_device, kmeans
from mmkd_plus.ops.quest import closest_word_probability, quest_kl, soft_assign
from mmkd_plus.ops.quest_fused import (CosineScores, materialize_scores,
                                       quest_kl_cosine, quest_kl_from_scores)
from mmkd_plus.registry import MODELS
from .flag_buffer import flag_buffer, upgrade_bool_flags

__all__ = ['QuESTLoss']

#: MessageHub key of the word-agreement diagnostic (logged as
#: ``quest_word_agreement`` by the LoggerHook); a loss named by its hook
#: logs under ``AGREEMENT_KEY + '_' + loss_name``.
AGREEMENT_KEY = 'train/quest_word_agreement'
#: MessageHub key of the mean closest-word probability ``max_k p_T`` of the
#: batch (the authors' ``mean_assign_score``), suffixed as the agreement.
CLOSEST_WORD_KEY = 'train/quest_closest_word_probability'


@MODELS.register_module()
class QuESTLoss(nn.Module):
    """QuEST: KL between the teacher's and the student's word assignments.

    "QuEST: Quantized embedding space for transferring knowledge" (Jain et
    al., ECCV 2020), https://arxiv.org/abs/1912.01540. The teacher map is
    softly assigned to a frozen vocabulary of K visual words,
    ``p_T(k|u) = softmax_k(-||t_u - v_k||^2 / tau)`` (no gradient), the
    student's :class:`QuESTConnector` scores give
    ``log p_S = log_softmax_k(scores)``, and the loss is the KL divergence
    per position, summed over words and averaged over all positions of the
    batch (the authors' ``F.kl_div(..., 'batchmean')`` over flattened
    positions, https://github.com/valeoai/QuEST), times ``loss_weight``.

    The vocabulary is the buffer ``vocab`` (K x C_T) with the flag
    ``vocab_ready``: both are saved in checkpoints, so ``--resume`` and
    ``load_from`` restore them. The loss fills it from teacher vectors
    (:meth:`build_vocabulary`, k-means) or from given words
    (:meth:`set_vocabulary`); reading and writing vocabulary files and
    giving every DDP rank the same words is the business of
    :class:`~mmkd_plus.engine.hooks.QuESTVocabularyHook`, which does it
    before training.

    The fraction of positions where ``argmax p_S == argmax p_T`` is
    published to the MessageHub under ``agreement_key`` (the authors'
    ``Accur_vword``): ``train/quest_word_agreement``, which the hook makes
    ``train/quest_word_agreement_<loss_name>`` so that several QuEST losses
    (e.g. one per level) each log their own. The batch's mean closest-word
    probability ``max_k p_T`` (the authors' ``mean_assign_score``, about
    0.996 at a well-tuned tau) goes under ``closest_word_key``, named
    alike (``train/quest_closest_word_probability[_<loss_name>]``).

    With ``fused=True`` (the default) the loss and its gradient are
    computed chunk by chunk of positions in one autograd function
    (:mod:`mmkd_plus.ops.quest_fused`), so no ``(N, K)`` block of distances,
    probabilities or scores outlives a chunk: given the connector's
    :class:`~mmkd_plus.ops.quest_fused.CosineScores` (its default,
    ``lazy=True``) the cosine projection is fused too; given the
    scores as a tensor, their gradient is the one ``(N, K)`` block kept for
    the backward pass. ``fused=False`` is the reference: the teacher's
    ``(N, K)`` probabilities, the student's log-softmax and the KL by
    ordinary tensor ops; both agree to rounding.

    Args:
        feat_channels (int): Teacher channels C_T at the distilled layer.
        num_words (int): Vocabulary size K. Defaults to 4096 (the paper's
            for CIFAR-100 and ImageNet).
        tau (float): Temperature of the teacher assignment. Defaults to 0.2
            (the authors' ``temperature=5`` for CIFAR-100/ImageNet). Tune it
            so the mean closest-word probability is about 0.996.
        downscale (int): Average-pool the teacher map by this factor
            (kernel = stride) before assigning it, when the student map is
            smaller (e.g. 8x8 -> 4x4 for ShuffleNet/MobileNet students); the
            vocabulary must be built on pooled features too (the hook
            does). Defaults to 1.
        loss_weight (float): Weight of the loss (the paper's beta).
            Defaults to 1.0.
        fused (bool): Compute the loss and its gradient chunk by chunk in
            one autograd function. Defaults to True.
        chunk_size (int, optional): Positions per chunk of the fused loss.
            Defaults to as many as keep one ``(positions, K)`` fp32 block
            within 4 MB (256 at K = 4096).

    Example:
        >>> distill_losses = dict(
        ...     loss_quest=dict(type='QuESTLoss', num_words=4096,
        ...                     feat_channels=64, tau=0.2))
        >>> loss_forward_mappings = dict(
        ...     loss_quest=dict(
        ...         s_logits=dict(from_student=True, recorder='quest',
        ...                       connector='quest_head'),
        ...         t_feature=dict(from_student=False, recorder='quest')))
    """

    def __init__(self,
                 feat_channels: int,
                 num_words: int = 4096,
                 tau: float = 0.2,
                 downscale: int = 1,
                 loss_weight: float = 1.0,
                 fused: bool = True,
                 chunk_size: Optional[int] = None) -> None:
        super().__init__()
        if num_words < 1 or feat_channels < 1:
            raise ValueError('num_words and feat_channels must be positive, '
                             f'got {num_words} and {feat_channels}.')
        if not tau > 0:
            raise ValueError(f'tau must be positive, got {tau!r}.')
        if int(downscale) != downscale or downscale < 1:
            raise ValueError(
                f'downscale must be a positive integer, got {downscale!r}.')
        if chunk_size is not None and (int(chunk_size) != chunk_size
                                       or chunk_size < 1):
            raise ValueError('chunk_size must be a positive integer or None, '
                             f'got {chunk_size!r}.')
        self.num_words = int(num_words)
        self.feat_channels = int(feat_channels)
        self.tau = float(tau)
        self.downscale = int(downscale)
        self.loss_weight = loss_weight
        self.fused = bool(fused)
        self.chunk_size = None if chunk_size is None else int(chunk_size)
        self.agreement_key = AGREEMENT_KEY
        self.register_buffer('vocab',
                             torch.zeros(self.num_words, self.feat_channels))
        # uint8, not bool: gloo (torch 1.13) cannot broadcast bool buffers
        self.register_buffer('vocab_ready', flag_buffer(False))

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        upgrade_bool_flags(state_dict, prefix, ('vocab_ready', ))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def closest_word_key(self) -> str:
        """MessageHub key of the closest-word probability, suffixed as
        ``agreement_key`` is."""
        return CLOSEST_WORD_KEY + self.agreement_key[len(AGREEMENT_KEY):]

    @property
    def is_ready(self) -> bool:
        """Whether a vocabulary has been installed."""
        return bool(self.vocab_ready)

    @torch.no_grad()
    def set_vocabulary(self, vocab: Union[torch.Tensor, np.ndarray]) -> None:
        """Install a ``(num_words, feat_channels)`` vocabulary in place.

        In place (``copy_``), so a DDP wrapper keeps the same buffer.

        Args:
            vocab (Tensor | np.ndarray): The visual words.
        """
        vocab = torch.as_tensor(vocab)
        if tuple(vocab.shape) != tuple(self.vocab.shape):
            raise ValueError(
                f'The vocabulary has shape {tuple(vocab.shape)} but this '
                f'QuESTLoss expects (num_words, feat_channels) = '
                f'{tuple(self.vocab.shape)}.')
        if not bool(torch.isfinite(vocab).all()):
            raise ValueError('The vocabulary holds NaN or inf values.')
        self.vocab.copy_(vocab.to(self.vocab))
        self.vocab_ready.fill_(True)

    def build_vocabulary(self,
                         feats: torch.Tensor,
                         niter: int = 20,
                         seed: int = 0,
                         max_points_per_centroid: float = 256,
                         backend: str = 'auto') -> dict:
        """Cluster teacher vectors into ``num_words`` words and install them.

        k-means as :func:`mmkd_plus.ops.kmeans.kmeans` (QuEST's: L2 on the
        raw vectors, random start). The vectors go to the GPU when there is
        one (:func:`~mmkd_plus.ops.kmeans.compute_device`), so that the
        torch fallback of k-means and the closest-word statistic run there.

        Args:
            feats (Tensor): ``(N, feat_channels)`` teacher vectors, pooled
                as :meth:`pool_teacher` does.
            niter (int): k-means iterations. Defaults to 20.
            seed (int): k-means seed. Defaults to 0.
            max_points_per_centroid (int | float): k-means clusters at most
                this many vectors per word (a seeded sample). Defaults to
                256.
            backend (str): 'auto', 'faiss' or 'torch'. Defaults to 'auto'.

        Returns:
            dict: ``prob`` (the mean closest-word probability of ``feats``
            at ``tau``), ``backend``, ``points`` (clustered), ``vectors``
            (given) and ``inertia`` (mean squared distance to the closest
            word).
        """
        if feats.dim() != 2 or feats.shape[1] != self.feat_channels:
            raise ValueError(
                f'The teacher vectors are {tuple(feats.shape)} but the loss '
                f'has feat_channels={self.feat_channels}: record a teacher '
                'layer of that width or set feat_channels to its width.')
        feats = feats.to(compute_device(feats))
        result = kmeans(
            feats,
            self.num_words,
            niter=niter,
            seed=seed,
            max_points_per_centroid=max_points_per_centroid,
            backend=backend)
        self.set_vocabulary(result.centroids)
        prob = float(
            closest_word_probability(feats, result.centroids.to(feats.device),
                                     self.tau))
        if not 0.95 <= prob <= 0.9999:
            print_log(
                f'QuEST vocabulary: the mean closest-word probability '
                f"{prob:.4f} is far from QuEST's ~0.996: consider retuning "
                f'the loss tau ({self.tau:g}), e.g. with '
                'tools/analysis/quest_tau.py.',
                logger='current',
                level=logging.WARNING)
        return dict(
            prob=prob,
            backend=result.backend,
            points=result.num_points,
            vectors=int(feats.shape[0]),
            inertia=result.inertia)

    def pool_teacher(self, t_feature: torch.Tensor) -> torch.Tensor:
        """The teacher map as the loss sees it (pooled by ``downscale``)."""
        if self.downscale > 1:
            t_feature = F.avg_pool2d(t_feature, self.downscale, self.downscale)
        return t_feature

    def forward(self, s_logits: Union[torch.Tensor, CosineScores],
                t_feature: torch.Tensor) -> torch.Tensor:
        """Compute the QuEST loss.

        Args:
            s_logits (torch.Tensor | CosineScores): Student word scores,
                (B, K, H, W), or their inputs (the output of
                :class:`QuESTConnector`, with or without ``lazy``).
            t_feature (torch.Tensor): Teacher map, (B, C_T, H', W'), with
                H' and W' ``downscale`` times H and W.

        Returns:
            torch.Tensor: The weighted loss, a float32 scalar (float64 for
            float64 inputs).
        """
        if not self.is_ready:
            raise RuntimeError(
                'QuESTLoss has no vocabulary yet (vocab_ready is False): add '
                "custom_hooks=[dict(type='QuESTVocabularyHook', "
                "_scope_='mmrazor')] to the config to build it before "
                'training, or give the hook vocab_file=PATH (or call '
                'set_vocabulary).')
        shape = tuple(s_logits.shape)
        if t_feature.dim() != 4 or len(shape) != 4:
            raise ValueError(
                'QuESTLoss expects 4-D maps: s_logits (B, K, H, W) and '
                f't_feature (B, C_T, H, W); got {shape} and '
                f'{tuple(t_feature.shape)}.')
        if t_feature.shape[1] != self.feat_channels:
            raise ValueError(
                f'The teacher feature has {t_feature.shape[1]} channels but '
                f'the vocabulary is {self.feat_channels} wide '
                '(feat_channels): set feat_channels to the width of the '
                'teacher recorder, or record another teacher layer.')
        if shape[1] != self.num_words:
            raise ValueError(
                f'The student scores have {shape[1]} words but '
                f'QuESTLoss has num_words={self.num_words}: set the '
                "connector's num_words to the loss's.")
        t_feature = self.pool_teacher(t_feature)
        if t_feature.shape[0] != shape[0] or \
                tuple(t_feature.shape[2:]) != shape[2:]:
            raise ValueError(
                f'After downscale={self.downscale} the teacher map is '
                f'{tuple(t_feature.shape[2:])} but the student scores are '
                f'{shape[2:]} (batch {t_feature.shape[0]} '
                f'vs {shape[0]}): set the loss key `downscale` so '
                'that teacher size / downscale = student size.')
        if not self.fused:
            loss, agree, closest = self._reference(
                materialize_scores(s_logits), t_feature)
        elif isinstance(s_logits, CosineScores):
            loss, agree, closest = quest_kl_cosine(*s_logits, t_feature,
                                                   self.vocab, self.tau,
                                                   self.chunk_size)
        else:
            loss, agree, closest = quest_kl_from_scores(
                s_logits, t_feature, self.vocab, self.tau, self.chunk_size)
        hub = MessageHub.get_current_instance()
        hub.update_scalar(self.agreement_key, float(agree))
        hub.update_scalar(self.closest_word_key, float(closest))
        return self.loss_weight * loss

    def _reference(self, s_logits: torch.Tensor, t_feature: torch.Tensor
                   ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The unfused loss: ``(N, K)`` tensors by ordinary ops.

        Returns:
            tuple[Tensor]: The unweighted loss, the word agreement and the
            mean closest-word probability.
        """
        with torch.no_grad():
            p_t = soft_assign(t_feature.detach(), self.vocab, self.tau)
            p_t = p_t.reshape(-1, self.num_words)
        dtype = torch.float64 if s_logits.dtype == torch.float64 \
            else torch.float32
        log_p_s = F.log_softmax(s_logits.to(dtype), dim=1)
        log_p_s = log_p_s.permute(0, 2, 3, 1).reshape(-1, self.num_words)
        loss = quest_kl(p_t, log_p_s)
        with torch.no_grad():
            top_p_t, word_t = p_t.max(dim=1)
            agree = (log_p_s.argmax(dim=1) == word_t).float().mean()
        return loss, agree, top_p_t.mean()
