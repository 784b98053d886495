# Copyright (c) OpenMMLab. All rights reserved.
import copy
import logging
import math
import os
import os.path as osp
import time
from typing import Any, List, Optional, Tuple

import torch
from mmengine.dist import (all_reduce, broadcast, broadcast_object_list,
                           gather_object, get_rank, get_world_size)
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import DATASETS
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from mmkd_plus.ops.kmeans import kmeans
from mmkd_plus.ops.quest import closest_word_probability
from mmkd_plus.registry import HOOKS

__all__ = ['QuESTVocabularyHook']


class _ReservoirSampler:
    """A uniform random sample of at most ``capacity`` rows of a stream.

    Every row gets a random key from a seeded generator and the rows with
    the smallest keys are kept, so the sample is uniform over the whole
    stream and the same for the same seed and stream.
    """

    def __init__(self, capacity: int, seed: int):
        self.capacity = max(int(capacity), 1)
        self.generator = torch.Generator().manual_seed(int(seed))
        self.kept: Optional[torch.Tensor] = None
        self.keys: Optional[torch.Tensor] = None
        self.seen = 0

    def add(self, rows: torch.Tensor) -> None:
        self.seen += rows.shape[0]
        keys = torch.rand(rows.shape[0], generator=self.generator)
        if self.kept is not None:
            rows = torch.cat([self.kept, rows])
            keys = torch.cat([self.keys, keys])
        if rows.shape[0] > self.capacity:
            keys, order = torch.topk(keys, self.capacity, largest=False)
            rows = rows[order]
        self.kept, self.keys = rows, keys


def _find_pipeline_owner(dataset_cfg: dict) -> dict:
    """The (possibly wrapped) dataset config that holds ``pipeline``."""
    cfg = dataset_cfg
    while 'pipeline' not in cfg and isinstance(cfg.get('dataset'), dict):
        cfg = cfg['dataset']
    return cfg


@HOOKS.register_module()
class QuESTVocabularyHook(Hook):
    """Build (or load) QuEST's visual vocabulary before training starts.

    "QuEST: Quantized embedding space for transferring knowledge" (Jain et
    al., ECCV 2020), https://arxiv.org/abs/1912.01540. The vocabulary is a
    k-means (L2, raw features, 20 iterations) of the frozen teacher's
    feature vectors at the distilled layer, one per spatial position, over
    the training images seen through the deterministic test pipeline (the
    authors' ``do_not_use_random_transf``, https://github.com/valeoai/QuEST).

    In ``before_train`` the hook finds the :class:`QuESTLoss` named
    ``loss_name`` in ``model.distiller.distill_losses`` and:

    1. does nothing if its ``vocab_ready`` buffer is already set (a resumed
       or loaded checkpoint carries the vocabulary);
    2. otherwise loads ``vocab_file`` if given;
    3. otherwise runs the teacher (eval mode, no grad) over the training
       set (or ``num_images`` of it, drawn with ``seed``), reads the teacher
       recorder the loss mapping names for ``t_feature``, pools it by the
       loss's ``downscale``, and clusters the vectors with
       :func:`mmkd_plus.ops.kmeans.kmeans` once, on rank 0 (every rank
       extracts its shard; rank 0 gathers them), then broadcasts the
       vocabulary so every rank installs the identical tensor.

    Memory stays bounded: while extracting, each rank keeps a uniform
    random sample (seeded streaming reservoir) of at most
    ``ceil(max_points_per_centroid * K / world_size)`` vectors, the most
    k-means would use, so ImageNet's 200k images x 49 positions never sit
    in memory at once.

    It logs the mean closest-word probability under the loss's tau (QuEST
    tunes tau so it is about 0.996).

    Args:
        loss_name (str): Key of the QuESTLoss in ``distill_losses``.
            Defaults to 'loss_quest'.
        recorder (str, optional): Teacher recorder to cluster. Defaults to
            None: the one ``loss_forward_mappings[loss_name].t_feature``
            names.
        num_images (int, optional): Number of training images to use,
            drawn without replacement with ``seed``. Defaults to None (all).
        batch_size (int): Images per forward pass (per rank). Defaults to
            64.
        num_words (int, optional): K; must equal the loss's ``num_words``.
            Defaults to None (the loss's).
        niter (int): k-means iterations. Defaults to 20.
        seed (int): Seed of the image subset and of k-means. Defaults to 0.
        max_points_per_centroid (int | float): k-means clusters at most
            this many vectors per word (a seeded sample); QuEST's code uses
            all of them, i.e. a large value such as ``1e7``. Defaults to 256.
        backend (str): k-means backend, 'auto', 'faiss' or 'torch'.
            Defaults to 'auto'.
        vocab_file (str, optional): Load the vocabulary from this file
            (a ``(K, C_T)`` tensor, or a dict with key ``'vocab'``, as
            ``save_vocab_file`` writes) instead of building it.
        save_vocab_file (str, optional): Save a built vocabulary here. With
            ``{rank}`` in the name every rank saves its copy; otherwise rank
            0 saves it.
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
                 save_vocab_file: Optional[str] = None) -> None:
        if num_images is not None and num_images < 1:
            raise ValueError(
                f'num_images must be positive or None, got {num_images!r}.')
        if batch_size < 1:
            raise ValueError(f'batch_size must be positive, got {batch_size}')
        self.loss_name = loss_name
        self.recorder = recorder
        self.num_images = num_images
        self.batch_size = batch_size
        self.num_words = num_words
        self.niter = niter
        self.seed = seed
        self.max_points_per_centroid = max_points_per_centroid
        self.backend = backend
        self.vocab_file = vocab_file
        self.save_vocab_file = save_vocab_file

    # ------------------------------------------------------------------
    # Finding the loss and the recorder
    # ------------------------------------------------------------------

    def get_loss(self, model: torch.nn.Module):
        """The :class:`QuESTLoss` named ``loss_name`` in ``model``."""
        distiller = getattr(model, 'distiller', None)
        losses = getattr(distiller, 'distill_losses', None)
        if losses is None:
            raise RuntimeError(
                'QuESTVocabularyHook needs a distillation model with '
                'model.distiller.distill_losses (e.g. SingleTeacherDistill '
                f'with a ConfigurableDistiller); got {type(model).__name__}.')
        if self.loss_name not in losses:
            raise KeyError(
                f'QuESTVocabularyHook.loss_name={self.loss_name!r} is not in '
                f'model.distiller.distill_losses ({list(losses.keys())}).')
        loss = losses[self.loss_name]
        if not hasattr(loss, 'set_vocabulary'):
            raise TypeError(
                f'model.distiller.distill_losses.{self.loss_name} is a '
                f'{type(loss).__name__}, not a QuESTLoss.')
        if self.num_words is not None and self.num_words != loss.num_words:
            raise ValueError(
                f'QuESTVocabularyHook num_words={self.num_words} differs '
                f'from the loss num_words={loss.num_words}: drop the hook '
                'key (it defaults to the loss value) or make them equal.')
        return loss

    def _teacher_record_args(self, distiller) -> dict:
        mapping = distiller.loss_forward_mappings.get(self.loss_name, {})
        item = dict(mapping.get('t_feature', {}))
        if self.recorder is not None:
            item = dict(recorder=self.recorder)
        if 'recorder' not in item:
            raise KeyError(
                'QuESTVocabularyHook cannot tell which teacher recorder to '
                'cluster: set model.distiller.loss_forward_mappings.'
                f'{self.loss_name}.t_feature.recorder or the hook key '
                '`recorder`.')
        if item.get('from_student', False):
            raise ValueError(
                f'loss_forward_mappings.{self.loss_name}.t_feature has '
                'from_student=True: the vocabulary is built on teacher '
                'features.')
        recorders = distiller.teacher_recorders.recorders
        if item['recorder'] not in recorders:
            raise KeyError(f"Teacher recorder {item['recorder']!r} is not in "
                           'model.distiller.teacher_recorders '
                           f'({list(recorders.keys())}).')
        return dict(recorder=item['recorder'],
                    from_student=False,
                    record_idx=item.get('record_idx', 0),
                    data_idx=item.get('data_idx'),
                    connector=item.get('connector'),
                    connector_idx=item.get('connector_idx'))

    # ------------------------------------------------------------------
    # Hook entry point
    # ------------------------------------------------------------------

    def before_train(self, runner) -> None:
        """Install the vocabulary unless the checkpoint carried one."""
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        loss = self.get_loss(model)
        if loss.is_ready:
            runner.logger.info(
                f'QuESTVocabularyHook: {self.loss_name} already holds a '
                'vocabulary (restored from a checkpoint): skip building it.')
            return
        if self.vocab_file is not None:
            vocab = self.load_vocab_file(loss)
            broadcast(vocab, src=0)
            loss.set_vocabulary(vocab)
            runner.logger.info(
                f'QuESTVocabularyHook: loaded the {tuple(vocab.shape)} '
                f'vocabulary of {self.loss_name} from {self.vocab_file}.')
            return
        self._build(runner, model, loss)

    def load_vocab_file(self, loss) -> torch.Tensor:
        """The ``(K, C_T)`` vocabulary of ``vocab_file``, checked."""
        if not osp.isfile(self.vocab_file):
            raise FileNotFoundError(
                f'QuESTVocabularyHook.vocab_file={self.vocab_file!r} does '
                'not exist; remove the key to build the vocabulary instead.')
        obj = torch.load(self.vocab_file, map_location='cpu')
        vocab = obj.get('vocab') if isinstance(obj, dict) else obj
        if not isinstance(vocab, torch.Tensor):
            raise TypeError(
                f'vocab_file={self.vocab_file!r} holds neither a tensor nor a'
                " dict with a 'vocab' tensor.")
        expected = (loss.num_words, loss.feat_channels)
        if tuple(vocab.shape) != expected:
            raise ValueError(
                f'vocab_file={self.vocab_file!r} holds a vocabulary of shape '
                f'{tuple(vocab.shape)}, but {self.loss_name} expects '
                f'(num_words, feat_channels) = {expected}.')
        return vocab.float().contiguous()

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------

    def _build_dataloader(self, cfg):
        dataset_cfg = copy.deepcopy(cfg.train_dataloader['dataset'])
        test_pipeline = None
        for key in ('test_dataloader', 'val_dataloader'):
            loader = cfg.get(key)
            if loader and isinstance(loader.get('dataset'), dict):
                owner = _find_pipeline_owner(loader['dataset'])
                if 'pipeline' in owner:
                    test_pipeline = copy.deepcopy(owner['pipeline'])
                    break
        if test_pipeline is None:
            raise ValueError(
                'QuESTVocabularyHook uses the deterministic test pipeline, '
                'but neither test_dataloader.dataset.pipeline nor '
                'val_dataloader.dataset.pipeline is set in the config.')
        _find_pipeline_owner(dataset_cfg)['pipeline'] = test_pipeline
        dataset = DATASETS.build(dataset_cfg)
        total = len(dataset)
        if self.num_images is not None and self.num_images < total:
            generator = torch.Generator().manual_seed(self.seed)
            chosen = torch.randperm(total, generator=generator)
            chosen = sorted(chosen[:self.num_images].tolist())
            if hasattr(dataset, 'get_subset_'):
                dataset.get_subset_(chosen)
            else:
                dataset = torch.utils.data.Subset(dataset, chosen)
        loader_cfg = dict(batch_size=self.batch_size,
                          num_workers=cfg.train_dataloader.get(
                              'num_workers', 0),
                          dataset=dataset,
                          sampler=dict(type='DefaultSampler',
                                       shuffle=False,
                                       round_up=False))
        if 'collate_fn' in cfg.train_dataloader:
            loader_cfg['collate_fn'] = copy.deepcopy(
                cfg.train_dataloader['collate_fn'])
        return Runner.build_dataloader(loader_cfg), len(dataset), total

    def extract_features(self, cfg,
                         model) -> Tuple[Any, torch.Tensor, int, int]:
        """Extract the teacher vectors the vocabulary is built from.

        Args:
            cfg (Config): The run's config (its train dataset, with the
                test pipeline, is what is read).
            model (nn.Module): The (unwrapped) distillation model.

        Returns:
            tuple: ``(loss, feats, num_images, num_seen)``: the QuESTLoss,
            this rank's ``(N, C_T)`` CPU vectors (a seeded uniform sample of
            at most the k-means budget), the number of images read and the
            number of vectors seen on this rank.
        """
        loss = self.get_loss(model)
        dataloader, num_images, _ = self._build_dataloader(cfg)
        feats = self._extract(model, loss, dataloader)
        return loss, feats, num_images, self._seen

    def cluster(self, feats: torch.Tensor, loss) -> Tuple[torch.Tensor, dict]:
        """k-means of ``feats`` into the loss's K words, with statistics.

        Returns:
            tuple: the ``(K, C_T)`` vocabulary and a dict with the mean
            closest-word probability at the loss's tau (``prob``), the
            k-means ``backend``, ``points`` and ``inertia``.
        """
        result = kmeans(
            feats,
            loss.num_words,
            niter=self.niter,
            seed=self.seed,
            max_points_per_centroid=self.max_points_per_centroid,
            backend=self.backend)
        vocab = result.centroids.float().contiguous()
        prob = float(closest_word_probability(feats, vocab, loss.tau))
        return vocab, dict(prob=prob,
                           backend=result.backend,
                           points=result.num_points,
                           inertia=result.inertia)

    @torch.no_grad()
    def _extract(self, model, loss, dataloader) -> torch.Tensor:
        """Teacher vectors of this rank's images, (N_rank, C_T), CPU."""
        distiller = model.distiller
        args = self._teacher_record_args(distiller)
        recorder = distiller.teacher_recorders.get_recorder(args['recorder'])
        teacher = model.teacher
        modes = {m: m.training for m in teacher.modules()}
        teacher.eval()
        progress = ProgressBar(len(dataloader)) if get_rank() == 0 else None
        sampler = _ReservoirSampler(
            self._per_rank_budget(loss.num_words), self.seed + get_rank())
        try:
            for data_batch in dataloader:
                data = model.data_preprocessor(data_batch, False)
                with distiller.teacher_recorders:
                    teacher(data['inputs'],
                            data['data_samples'],
                            mode='tensor')
                if len(recorder.data_buffer) == 0:
                    raise RuntimeError(
                        'QuESTVocabularyHook: the teacher recorder '
                        f"model.distiller.teacher_recorders.{args['recorder']}"
                        f' (source={recorder.source!r}) recorded nothing in a'
                        ' teacher forward pass: its module is not on the '
                        'forward path. Fix its `source`.')
                feat = distiller.get_record(**args)
                if not isinstance(feat, torch.Tensor) or feat.dim() != 4:
                    raise ValueError(
                        f"Teacher recorder {args['recorder']!r} gives "
                        f'{type(feat).__name__} '
                        f"{tuple(getattr(feat, 'shape', ()))}, not a "
                        '(B, C, H, W) map: set record_idx/data_idx in the '
                        'loss mapping.')
                feat = loss.pool_teacher(feat.float())
                sampler.add(
                    feat.permute(0, 2, 3, 1).reshape(-1, feat.shape[1]).cpu())
                if progress is not None:
                    progress.update()
        finally:
            for module, mode in modes.items():
                module.train(mode)
        if progress is not None:
            progress.file.write('\n')
        self._seen = sampler.seen
        if sampler.kept is None:
            return torch.zeros(0, loss.feat_channels)
        return sampler.kept

    def _per_rank_budget(self, num_words: int) -> int:
        total = float(self.max_points_per_centroid) * num_words
        return int(math.ceil(total / get_world_size()))

    def _build(self, runner, model, loss) -> None:
        start = time.time()
        rank, world_size = get_rank(), get_world_size()
        dataloader, num_images, total = self._build_dataloader(runner.cfg)
        runner.logger.info(
            f'QuESTVocabularyHook: building the K={loss.num_words} '
            f'vocabulary of {self.loss_name} from the teacher features of '
            f'{num_images} of {total} training images (test pipeline, '
            f'{world_size} rank(s)).')
        feats = self._extract(model, loss, dataloader)
        if feats.shape[1] != loss.feat_channels:
            raise ValueError(
                f'The teacher recorder gives {feats.shape[1]}-channel '
                f'features but {self.loss_name} has feat_channels='
                f'{loss.feat_channels}: make them equal.')
        count = torch.tensor([self._seen], dtype=torch.long)
        all_reduce(count)  # a no-op outside DDP
        num_vectors = int(count.item())
        if loss.num_words > num_vectors:
            raise ValueError(
                f'Cannot build K={loss.num_words} visual words from '
                f'{num_vectors} teacher feature vectors ({num_images} '
                'images x positions): lower num_words (loss and connector) '
                'or raise the hook key num_images (None = all images).')

        shards = gather_object(feats, dst=0) if world_size > 1 else [feats]
        status: List[Any] = [None, None]
        vocab = torch.zeros(loss.num_words, loss.feat_channels)
        if rank == 0:
            vectors = torch.cat(shards) if len(shards) > 1 else shards[0]
            del shards
            try:
                vocab, stats = self.cluster(vectors, loss)
                status = [None, stats]
            except ValueError as err:
                status = [
                    f'{err} (QuESTVocabularyHook: check num_words and '
                    'num_images)', None
                ]
            del vectors
        if world_size > 1:
            broadcast_object_list(status, src=0)
        if status[0] is not None:
            raise ValueError(status[0])
        broadcast(vocab, src=0)
        loss.set_vocabulary(vocab)
        stats = status[1]
        runner.logger.info(
            f'QuESTVocabularyHook: built the {tuple(vocab.shape)} vocabulary'
            f' of {self.loss_name} in {time.time() - start:.1f}s from '
            f"{num_vectors} vectors (k-means on {stats['points']} of them, "
            f"backend {stats['backend']}, mean squared distance "
            f"{stats['inertia']:.4g}); mean closest-word probability "
            f"{stats['prob']:.4f} at tau={loss.tau:g} (papers tune tau so "
            'this is ~0.996).')
        if stats['prob'] < 0.95 or stats['prob'] > 0.9999:
            print_log(
                f'QuESTVocabularyHook: the mean closest-word probability '
                f"{stats['prob']:.4f} is far from QuEST's ~0.996: consider "
                f'retuning the loss tau ({loss.tau:g}).',
                logger='current',
                level=logging.WARNING)
        self._save(vocab, loss, stats, num_images, rank)

    def _save(self, vocab, loss, stats, num_images, rank) -> None:
        if self.save_vocab_file is None:
            return
        per_rank = '{rank}' in self.save_vocab_file
        if not per_rank and rank != 0:
            return
        path = self.save_vocab_file.format(rank=rank) if per_rank \
            else self.save_vocab_file
        if osp.dirname(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
        torch.save(
            dict(vocab=vocab.cpu(),
                 tau=loss.tau,
                 downscale=loss.downscale,
                 num_images=num_images,
                 closest_word_probability=stats['prob']), path)
        print_log(f'QuESTVocabularyHook: saved the vocabulary to {path}',
                  logger='current')
