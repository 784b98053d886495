# Copyright (c) OpenMMLab. All rights reserved.
"""The vocabulary API of :class:`QuESTLoss`: build, load, save, broadcast.

QuEST ("QuEST: Quantized embedding space for transferring knowledge",
Jain et al., ECCV 2020, https://arxiv.org/abs/1912.01540) assigns the
teacher's feature vectors to a frozen vocabulary of K visual words, the
k-means centroids of the teacher's vectors at the distilled layer. The
loss owns that vocabulary (its ``vocab`` and ``vocab_ready`` buffers, in
every checkpoint); these methods fill it. Who calls them and when is the
business of :class:`~mmkd_plus.engine.hooks.QuESTVocabularyHook` (before
training) and of the analysis tools.
"""
import logging
import os
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.dist import broadcast, broadcast_object_list, get_world_size
from mmengine.logging import print_log
from torch import Tensor

from mmkd_plus.ops.kmeans import compute_device, kmeans
from mmkd_plus.ops.quest import closest_word_probability
from mmkd_plus.utils import load_checkpoint_file

__all__ = ['QuESTVocabularyMixin']


class QuESTVocabularyMixin:
    """Build, load, save and broadcast the vocabulary of a QuEST loss.

    Mixed into :class:`QuESTLoss`, which provides ``num_words``,
    ``feat_channels``, ``tau``, ``downscale``, the ``vocab`` buffer and
    :meth:`set_vocabulary`.
    """

    def build_vocabulary(self,
                         feats: Tensor,
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

    def load_vocabulary(self, path: str) -> None:
        """Install the vocabulary of a file :meth:`save_vocabulary` wrote.

        Args:
            path (str): A ``.pth`` file holding a ``(num_words,
                feat_channels)`` tensor or a dict with key ``'vocab'``.
        """
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'The vocabulary file vocab_file={path!r} does not exist; '
                'remove the key to build the vocabulary instead.')
        obj = load_checkpoint_file(
            path, 'vocab_file', 'Point vocab_file at a vocabulary that '
            'save_vocab_file wrote, or remove the key to build it.')
        vocab = obj.get('vocab') if isinstance(obj, dict) else obj
        if not isinstance(vocab, Tensor):
            raise TypeError(f'vocab_file={path!r} holds neither a tensor nor '
                            "a dict with a 'vocab' tensor.")
        expected = (self.num_words, self.feat_channels)
        if tuple(vocab.shape) != expected:
            raise ValueError(
                f'vocab_file={path!r} holds a vocabulary of shape '
                f'{tuple(vocab.shape)}, but the loss expects (num_words, '
                f'feat_channels) = {expected}.')
        self.set_vocabulary(vocab.float())

    def save_vocabulary(self, path: str, **meta) -> None:
        """Save the vocabulary (with ``tau``, ``downscale`` and ``meta``).

        Args:
            path (str): Destination ``.pth`` file; its folder is created.
            **meta: More entries of the saved dict (e.g. ``num_images``).
        """
        if not self.is_ready:
            raise RuntimeError('No vocabulary to save (vocab_ready is False).')
        if osp.dirname(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
        torch.save(
            dict(
                vocab=self.vocab.detach().cpu(),
                tau=self.tau,
                downscale=self.downscale,
                **meta), path)

    def broadcast_vocabulary(
            self,
            stats: Union[dict, Exception, None] = None,
            src: int = 0) -> Optional[dict]:
        """Give every DDP rank the vocabulary of rank ``src``.

        Call it on every rank (a no-op in a single process apart from the
        error). ``src`` passes what its build returned: the statistics, or
        the exception it raised, which is then raised on every rank, so no
        rank waits forever for a vocabulary that will not come.

        Args:
            stats (dict | Exception, optional): On ``src``, the statistics
                of :meth:`build_vocabulary` or its exception. Ignored on the
                other ranks.
            src (int): The rank that holds the vocabulary. Defaults to 0.

        Returns:
            dict | None: ``src``'s statistics, on every rank.
        """
        if get_world_size() > 1:
            box = [stats]
            broadcast_object_list(box, src=src)
            stats = box[0]
        if isinstance(stats, Exception):
            raise stats
        if get_world_size() > 1:
            broadcast(self.vocab, src=src)
            self.vocab_ready.fill_(True)
        return stats
