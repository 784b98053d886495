# Copyright (c) OpenMMLab. All rights reserved.
"""The teacher's feature vectors a QuEST vocabulary is built from."""
import copy
from typing import Optional, Tuple

import torch
from mmengine.dist import get_rank
from mmengine.model import is_model_wrapper
from mmengine.registry import DATASETS
from mmengine.runner import Runner
from mmengine.utils import ProgressBar
from torch import Tensor

from mmkd_plus.ops.reservoir import ReservoirSampler

__all__ = [
    'TeacherFeatureExtractor', 'find_quest_loss', 'vocabulary_dataloader'
]


def find_quest_loss(model, loss_name: str, num_words: Optional[int] = None):
    """The :class:`QuESTLoss` named ``loss_name`` in a distillation model.

    Args:
        model (nn.Module): The distillation model (wrapped or not).
        loss_name (str): Key of the loss in ``distiller.distill_losses``.
        num_words (int, optional): If given, it must equal the loss's K.

    Returns:
        QuESTLoss: The loss.
    """
    if is_model_wrapper(model):
        model = model.module
    losses = getattr(getattr(model, 'distiller', None), 'distill_losses',
                     None)
    if losses is None:
        raise RuntimeError(
            'QuESTVocabularyHook needs a distillation model with '
            'model.distiller.distill_losses (e.g. SingleTeacherDistill '
            f'with a ConfigurableDistiller); got {type(model).__name__}.')
    if loss_name not in losses:
        raise KeyError(
            f'QuESTVocabularyHook.loss_name={loss_name!r} is not in '
            f'model.distiller.distill_losses ({list(losses.keys())}).')
    loss = losses[loss_name]
    if not hasattr(loss, 'build_vocabulary'):
        raise TypeError(f'model.distiller.distill_losses.{loss_name} is a '
                        f'{type(loss).__name__}, not a QuESTLoss.')
    if num_words is not None and num_words != loss.num_words:
        raise ValueError(
            f'QuESTVocabularyHook num_words={num_words} differs from the '
            f'loss num_words={loss.num_words}: drop the hook key (it '
            'defaults to the loss value) or make them equal.')
    return loss


def _pipeline_owner(dataset_cfg: dict) -> dict:
    """The (possibly wrapped) dataset config that holds ``pipeline``."""
    while 'pipeline' not in dataset_cfg and isinstance(
            dataset_cfg.get('dataset'), dict):
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def vocabulary_dataloader(cfg, batch_size: int = 64) -> dict:
    """The default dataloader config of a vocabulary build.

    The training set seen through the deterministic test pipeline (the
    authors' ``do_not_use_random_transf``, https://github.com/valeoai/QuEST):
    ``train_dataloader.dataset`` with the pipeline of
    ``test_dataloader.dataset`` (else ``val_dataloader.dataset``), the
    training ``num_workers`` and ``collate_fn``, in order, each rank reading
    its own shard.

    Args:
        cfg (Config): The run's config.
        batch_size (int): Images per forward pass. Defaults to 64.

    Returns:
        dict: A dataloader config for ``Runner.build_dataloader``.
    """
    dataset = copy.deepcopy(cfg['train_dataloader']['dataset'])
    for key in ('test_dataloader', 'val_dataloader'):
        loader = cfg.get(key)
        if loader and isinstance(loader.get('dataset'), dict):
            owner = _pipeline_owner(loader['dataset'])
            if 'pipeline' in owner:
                _pipeline_owner(dataset)['pipeline'] = copy.deepcopy(
                    owner['pipeline'])
                break
    else:
        raise ValueError(
            'QuESTVocabularyHook uses the deterministic test pipeline, but '
            'neither test_dataloader.dataset.pipeline nor '
            'val_dataloader.dataset.pipeline is set in the config: set one, '
            'or give the hook an explicit `dataloader`.')
    loader = dict(
        batch_size=batch_size,
        num_workers=cfg['train_dataloader'].get('num_workers', 0),
        dataset=dataset,
        sampler=dict(type='DefaultSampler', shuffle=False, round_up=False))
    if 'collate_fn' in cfg['train_dataloader']:
        loader['collate_fn'] = copy.deepcopy(
            cfg['train_dataloader']['collate_fn'])
    return loader


class TeacherFeatureExtractor:
    """Teacher vectors at a QuEST loss's layer, as a bounded seeded sample.

    Runs the teacher (eval mode, no gradient, its modes restored after)
    over the images of a dataloader built from an explicit config entry
    (e.g. :func:`vocabulary_dataloader`), reads the teacher recorder that
    the loss's ``t_feature`` mapping names (or ``recorder``), pools the map
    as the loss does (``downscale``) and streams every position's vector
    through a :class:`~mmkd_plus.ops.ReservoirSampler`: memory stays at
    ``capacity`` vectors however many images are read.

    Args:
        model (nn.Module): The distillation model (wrapped or not).
        loss (QuESTLoss): The loss whose vocabulary is built.
        loss_name (str): Its key in ``distiller.distill_losses``.
        dataloader (dict): Dataloader config (``Runner.build_dataloader``);
            under DDP its sampler gives each rank its shard.
        recorder (str, optional): Teacher recorder to read instead of the
            mapping's.
        num_images (int, optional): Read only this many images, a subset
            drawn without replacement with ``seed``. Defaults to all.
        seed (int): Seed of the image subset. Defaults to 0.
    """

    def __init__(self,
                 model,
                 loss,
                 loss_name: str,
                 dataloader: dict,
                 recorder: Optional[str] = None,
                 num_images: Optional[int] = None,
                 seed: int = 0) -> None:
        self.model = model.module if is_model_wrapper(model) else model
        self.loss = loss
        self.record_args = self._record_args(loss_name, recorder)
        dataset = dataloader['dataset']
        if isinstance(dataset, dict):
            dataset = DATASETS.build(copy.deepcopy(dataset))
        self.total_images = len(dataset)
        if num_images is not None and num_images < self.total_images:
            generator = torch.Generator().manual_seed(seed)
            chosen = torch.randperm(self.total_images, generator=generator)
            chosen = sorted(chosen[:num_images].tolist())
            if hasattr(dataset, 'get_subset_'):
                dataset.get_subset_(chosen)
            else:
                dataset = torch.utils.data.Subset(dataset, chosen)
        self.num_images = len(dataset)
        self.dataloader = Runner.build_dataloader(
            dict(dataloader, dataset=dataset))

    def _record_args(self, loss_name: str, recorder: Optional[str]) -> dict:
        distiller = self.model.distiller
        item = dict(
            distiller.loss_forward_mappings.get(loss_name,
                                                {}).get('t_feature', {}))
        if recorder is not None:
            item = dict(recorder=recorder)
        if 'recorder' not in item:
            raise KeyError(
                'QuESTVocabularyHook cannot tell which teacher recorder to '
                'cluster: set model.distiller.loss_forward_mappings.'
                f'{loss_name}.t_feature.recorder or the hook key `recorder`.')
        if item.get('from_student', False):
            raise ValueError(
                f'loss_forward_mappings.{loss_name}.t_feature has '
                'from_student=True: the vocabulary is built on teacher '
                'features.')
        recorders = distiller.teacher_recorders.recorders
        if item['recorder'] not in recorders:
            raise KeyError(f"Teacher recorder {item['recorder']!r} is not in "
                           'model.distiller.teacher_recorders '
                           f'({list(recorders.keys())}).')
        return dict(
            recorder=item['recorder'],
            from_student=False,
            record_idx=item.get('record_idx', 0),
            data_idx=item.get('data_idx'),
            connector=item.get('connector'),
            connector_idx=item.get('connector_idx'))

    def _vectors(self, data_batch) -> Tensor:
        """The pooled teacher vectors of one batch, ``(B*H*W, C_T)``."""
        model, distiller = self.model, self.model.distiller
        name = self.record_args['recorder']
        recorder = distiller.teacher_recorders.get_recorder(name)
        data = model.data_preprocessor(data_batch, False)
        with distiller.teacher_recorders:
            model.teacher(data['inputs'], data['data_samples'], mode='tensor')
        if len(recorder.data_buffer) == 0:
            raise RuntimeError(
                'QuESTVocabularyHook: the teacher recorder '
                f'model.distiller.teacher_recorders.{name} (source='
                f'{recorder.source!r}) recorded nothing in a teacher forward '
                'pass: its module is not on the forward path. Fix its '
                '`source`.')
        feat = distiller.get_record(**self.record_args)
        if not isinstance(feat, Tensor) or feat.dim() != 4:
            raise ValueError(
                f'Teacher recorder {name!r} gives {type(feat).__name__} '
                f"{tuple(getattr(feat, 'shape', ()))}, not a (B, C, H, W) "
                'map: set record_idx/data_idx in the loss mapping.')
        if feat.shape[1] != self.loss.feat_channels:
            raise ValueError(
                f'The teacher recorder {name!r} gives {feat.shape[1]}-channel'
                ' features but the loss has feat_channels='
                f'{self.loss.feat_channels}: make them equal.')
        feat = self.loss.pool_teacher(feat.float())
        return feat.permute(0, 2, 3, 1).reshape(-1, feat.shape[1])

    @torch.no_grad()
    def extract(self, capacity: int, seed: int) -> Tuple[Tensor, int]:
        """A seeded uniform sample of this rank's teacher vectors.

        Args:
            capacity (int): Most vectors kept.
            seed (int): Seed of the sample.

        Returns:
            tuple: the ``(N, C_T)`` CPU vectors (``N <= capacity``) and the
            number of vectors seen.
        """
        teacher = self.model.teacher
        modes = {m: m.training for m in teacher.modules()}
        teacher.eval()
        show = get_rank() == 0 and len(self.dataloader) > 0
        progress = ProgressBar(len(self.dataloader)) if show else None
        sampler = ReservoirSampler(capacity, seed)
        try:
            for data_batch in self.dataloader:
                sampler.add(self._vectors(data_batch))
                if progress is not None:
                    progress.update()
        finally:
            for module, mode in modes.items():
                module.train(mode)
        if progress is not None:
            progress.file.write('\n')
        kept = sampler.sample()
        if kept is None:
            kept = torch.zeros(0, self.loss.feat_channels)
        return kept, sampler.seen
