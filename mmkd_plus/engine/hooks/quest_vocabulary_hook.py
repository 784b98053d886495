# Copyright (c) OpenMMLab. All rights reserved.
import math
import os
import os.path as osp
import time
from typing import Optional, Union

import torch
from mmengine.dist import (all_reduce, broadcast, broadcast_object_list,
                           gather_object, get_rank, get_world_size)
from mmengine.hooks import Hook

from mmkd_plus.engine.teacher_features import (TeacherFeatureExtractor,
                                               find_quest_loss,
                                               vocabulary_dataloader)
from mmkd_plus.models.losses.quest_loss import AGREEMENT_KEY
from mmkd_plus.registry import HOOKS
from mmkd_plus.utils import load_checkpoint_file

__all__ = [
    'QuESTVocabularyHook', 'load_vocabulary', 'save_vocabulary',
    'broadcast_vocabulary'
]


def load_vocabulary(loss, path: str) -> None:
    """Install in ``loss`` the vocabulary of a file
    :func:`save_vocabulary` wrote.

    Args:
        loss (QuESTLoss): The loss to fill.
        path (str): A ``.pth`` file holding a ``(num_words,
            feat_channels)`` tensor or a dict with key ``'vocab'``.
    """
    obj = load_checkpoint_file(
        path, 'vocab_file', 'Point vocab_file at a vocabulary that '
        'save_vocab_file wrote, or remove the key to build it.')
    vocab = obj.get('vocab') if isinstance(obj, dict) else obj
    if not isinstance(vocab, torch.Tensor):
        raise TypeError(f'vocab_file={path!r} holds neither a tensor nor '
                        "a dict with a 'vocab' tensor.")
    expected = (loss.num_words, loss.feat_channels)
    if tuple(vocab.shape) != expected:
        raise ValueError(
            f'vocab_file={path!r} holds a vocabulary of shape '
            f'{tuple(vocab.shape)}, but the loss expects (num_words, '
            f'feat_channels) = {expected}.')
    loss.set_vocabulary(vocab.float())


def save_vocabulary(loss, path: str, **meta) -> None:
    """Save the vocabulary of ``loss`` (with its ``tau``, ``downscale``
    and ``meta``).

    Args:
        loss (QuESTLoss): A loss that holds a vocabulary.
        path (str): Destination ``.pth`` file; its folder is created.
        **meta: More entries of the saved dict (e.g. ``num_images``).
    """
    if not loss.is_ready:
        raise RuntimeError('No vocabulary to save (vocab_ready is False).')
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(
        dict(
            vocab=loss.vocab.detach().cpu(),
            tau=loss.tau,
            downscale=loss.downscale,
            **meta), path)


def broadcast_vocabulary(loss,
                         stats: Union[dict, Exception, None] = None,
                         src: int = 0) -> Optional[dict]:
    """Give the ``loss`` of every DDP rank the vocabulary of rank ``src``.

    Call it on every rank (a no-op in a single process apart from the
    error). ``src`` passes what its build returned: the statistics, or the
    exception it raised, which is then raised on every rank, so no rank
    waits forever for a vocabulary that will not come.

    Args:
        loss (QuESTLoss): This rank's loss.
        stats (dict | Exception, optional): On ``src``, the statistics of
            ``loss.build_vocabulary`` or its exception. Ignored on the
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
        broadcast(loss.vocab, src=src)
        loss.vocab_ready.fill_(True)
    return stats


@HOOKS.register_module()
class QuESTVocabularyHook(Hook):
    """Give a :class:`QuESTLoss` its visual vocabulary before training.

    "QuEST: Quantized embedding space for transferring knowledge" (Jain et
    al., ECCV 2020), https://arxiv.org/abs/1912.01540. In ``before_train``
    the QuESTLoss ``loss_name``: keeps the vocabulary a resumed or loaded
    checkpoint gave it; else loads ``vocab_file``; else builds it from the
    teacher's vectors at the distilled layer (every rank reads its shard of
    the images through a :class:`TeacherFeatureExtractor`, keeping a seeded
    sample of at most ``ceil(max_points_per_centroid * K / world_size)``
    vectors; rank 0 gathers them and runs k-means once; every rank gets the
    same vocabulary). The loss logs its word agreement as
    ``train/quest_word_agreement_<loss_name>``.

    Args:
        loss_name (str): Key of the QuESTLoss in ``distill_losses``.
            Defaults to 'loss_quest'.
        recorder (str, optional): Teacher recorder to cluster. Defaults to
            the one ``loss_forward_mappings[loss_name].t_feature`` names.
        num_images (int, optional): Use this many images, drawn without
            replacement with ``seed``. Defaults to None (all).
        batch_size (int): Images per forward pass (per rank) of the default
            dataloader. Defaults to 64.
        num_words (int, optional): K; must equal the loss's. Defaults to
            None (the loss's).
        niter (int): k-means iterations. Defaults to 20.
        seed (int): Seed of the image subset, the sample and k-means.
            Defaults to 0.
        max_points_per_centroid (int | float): k-means clusters at most this
            many vectors per word (a seeded sample); QuEST's code uses them
            all, i.e. a large value such as ``1e7``. Defaults to 256.
        backend (str): k-means backend, 'auto', 'faiss' or 'torch'.
            Defaults to 'auto'.
        vocab_file (str, optional): Load the vocabulary from this file
            instead of building it.
        save_vocab_file (str, optional): Save a built vocabulary here. With
            ``{rank}`` in the name every rank saves its copy; otherwise rank
            0 does.
        dataloader (dict, optional): The dataloader config to read. Defaults
            to the training set through the test pipeline
            (:func:`vocabulary_dataloader`, with ``batch_size``).
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 loss_name: str = 'loss_quest',
                 recorder: Optional[str] = None,
                 num_images: Optional[int] = None,
                 batch_size: int = 64,
                 num_words: Optional[int] = None,
                 niter: int = 20,
                 seed: int = 0,
                 max_points_per_centroid: float = 256,
                 backend: str = 'auto',
                 vocab_file: Optional[str] = None,
                 save_vocab_file: Optional[str] = None,
                 dataloader: Optional[dict] = None) -> None:
        if num_images is not None and num_images < 1:
            raise ValueError(
                f'num_images must be positive or None, got {num_images!r}.')
        if batch_size < 1:
            raise ValueError(f'batch_size must be positive, got {batch_size}')
        self.loss_name, self.recorder = loss_name, recorder
        self.num_images, self.batch_size = num_images, batch_size
        self.num_words, self.niter, self.seed = num_words, niter, seed
        self.max_points_per_centroid = max_points_per_centroid
        self.backend, self.dataloader = backend, dataloader
        self.vocab_file, self.save_vocab_file = vocab_file, save_vocab_file

    def before_train(self, runner) -> None:
        """Install the vocabulary unless the checkpoint carried one."""
        loss = find_quest_loss(runner.model, self.loss_name, self.num_words)
        loss.agreement_key = f'{AGREEMENT_KEY}_{self.loss_name}'
        if loss.is_ready:
            runner.logger.info(
                f'QuESTVocabularyHook: {self.loss_name} already holds a '
                'vocabulary (restored from a checkpoint): skip building it.')
        elif self.vocab_file is not None:
            load_vocabulary(loss, self.vocab_file)
            broadcast_vocabulary(loss)
            runner.logger.info(
                f'QuESTVocabularyHook: loaded the {tuple(loss.vocab.shape)} '
                f'vocabulary of {self.loss_name} from {self.vocab_file}.')
        else:
            self._build(runner, loss)

    def _build(self, runner, loss) -> None:
        start, rank, world_size = time.time(), get_rank(), get_world_size()
        extractor = TeacherFeatureExtractor(
            runner.model, loss, self.loss_name, self.dataloader
            or vocabulary_dataloader(runner.cfg, self.batch_size),
            self.recorder, self.num_images, self.seed)
        runner.logger.info(
            f'QuESTVocabularyHook: building the K={loss.num_words} '
            f'vocabulary of {self.loss_name} from the teacher features of '
            f'{extractor.num_images} of {extractor.total_images} images '
            f'({world_size} rank(s)).')
        budget = float(self.max_points_per_centroid) * loss.num_words
        feats, seen = extractor.extract(
            math.ceil(budget / world_size), self.seed + rank)
        count = torch.tensor([seen], dtype=torch.long)
        all_reduce(count)  # a no-op outside DDP
        num_vectors = int(count.item())
        if loss.num_words > num_vectors:
            raise ValueError(
                f'Cannot build K={loss.num_words} visual words from '
                f'{num_vectors} teacher feature vectors '
                f'({extractor.num_images} images x positions): lower '
                'num_words (loss and connector) or raise the hook key '
                'num_images (None = all images).')
        shards = gather_object(feats, dst=0) if world_size > 1 else [feats]
        stats = None
        if rank == 0:
            try:
                stats = loss.build_vocabulary(
                    torch.cat(shards), self.niter, self.seed,
                    self.max_points_per_centroid, self.backend)
            except ValueError as err:
                stats = err
        del shards, feats
        stats = broadcast_vocabulary(loss, stats)
        runner.logger.info(
            f'QuESTVocabularyHook: built the {tuple(loss.vocab.shape)} '
            f'vocabulary of {self.loss_name} in {time.time() - start:.1f}s '
            f"from {num_vectors} vectors (k-means on {stats['points']} of "
            f"them, backend {stats['backend']}, mean squared distance "
            f"{stats['inertia']:.4g}); mean closest-word probability "
            f"{stats['prob']:.4f} at tau={loss.tau:g} (QuEST tunes tau so "
            'this is ~0.996).')
        path = self.save_vocab_file
        if path is not None and ('{rank}' in path or rank == 0):
            path = path.format(rank=rank) if '{rank}' in path else path
            save_vocabulary(
                loss,
                path,
                num_images=extractor.num_images,
                closest_word_probability=stats['prob'])
            runner.logger.info(
                f'QuESTVocabularyHook: saved the vocabulary to {path}')
