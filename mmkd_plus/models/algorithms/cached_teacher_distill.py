# Copyright (c) OpenMMLab. All rights reserved.
"""Single-teacher distillation whose teacher outputs come from a cache."""
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from torch import nn

from mmkd_plus.registry import MODELS
from .checked_single_teacher_distill import (CheckedSingleTeacherDistill,
                                             teacher_from_run_checkpoint)

__all__ = ['CachedTeacherDistill', 'CachedTeacher']

_OUTPUT_RECORDERS = ('ModuleOutputs', 'ModuleOutputsRecorder')


class _CachedOutput(nn.Module):
    """Stands where a teacher module was: returns what it is given, so that
    a ``ModuleOutputs`` recorder on it records the cached output."""

    def forward(self, value):
        return value


@MODELS.register_module()
class CachedTeacher(BaseModel):
    """A teacher without weights that plays back its cached outputs.

    It has one parameter-free module per recorded source of the teacher
    (``head.fc``, ``neck``, ...), at the same path. Its forward takes the
    outputs that :class:`~mmkd_plus.datasets.TeacherCacheDataset` put in
    each data sample (metainfo ``teacher_outputs``), stacks them into a
    batch on the inputs' device and passes each through its module, where
    the distiller's ``ModuleOutputs`` recorders record them as they would
    record the real teacher's.

    Args:
        sources (dict): ``{recorder name: source}`` of the teacher
            recorders.
        widths (dict): ``{source: width}`` of the sources whose width the
            build checks read (a classifier's number of classes).
    """

    #: tools/test.py does not evaluate a teacher whose outputs are cached
    outputs_from_cache = True

    def __init__(self, sources: Dict[str, str],
                 widths: Optional[Dict[str, int]] = None) -> None:
        super().__init__()
        self.sources = dict(sources)
        for source in dict.fromkeys(self.sources.values()):
            parent = self
            *path, last = source.split('.')
            for part in path:
                if not hasattr(parent, part):
                    parent.add_module(part, nn.Module())
                parent = getattr(parent, part)
            module = _CachedOutput()
            if (widths or {}).get(source) is not None:
                module.num_classes = widths[source]
            parent.add_module(last, module)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor') -> Union[dict, torch.Tensor]:
        """Pass the cached outputs of the batch through the source modules.

        Returns:
            dict: ``{recorder name: batch output}`` (``mode='tensor'``), or
            ``{}`` (``mode='loss'``: a frozen teacher has no loss).
        """
        if mode == 'predict':
            raise RuntimeError(
                'The teacher of CachedTeacherDistill has no weights (its '
                'outputs come from a teacher cache) and cannot predict: '
                'evaluate the online config\'s teacher instead.')
        outputs = [
            getattr(s, 'metainfo', {}).get('teacher_outputs')
            for s in data_samples or []
        ]
        if not outputs or any(o is None for o in outputs):
            raise RuntimeError(
                'CachedTeacherDistill reads the teacher\'s outputs from the '
                'data samples, and these carry none: train it with '
                'train_dataloader.dataset.type=\'TeacherCacheDataset\' (and '
                'its sampler and hook, see docs/teacher_cache.md).')
        batch = {}
        for name, source in self.sources.items():
            values = [o[name] for o in outputs]
            if isinstance(values[0], tuple):
                batch[name] = tuple(
                    self._stack([v[j] for v in values], inputs)
                    for j in range(len(values[0])))
            else:
                batch[name] = self._stack(values, inputs)
        for source in dict.fromkeys(self.sources.values()):
            name = next(n for n, s in self.sources.items() if s == source)
            self.get_submodule(source)(batch[name])
        return {} if mode == 'loss' else batch

    @staticmethod
    def _stack(values: List[np.ndarray],
               inputs: torch.Tensor) -> torch.Tensor:
        dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
        return torch.from_numpy(np.stack(values)).to(
            device=inputs.device, dtype=dtype)


@MODELS.register_module()
class CachedTeacherDistill(CheckedSingleTeacherDistill):
    """:class:`CheckedSingleTeacherDistill` reading its frozen teacher's
    outputs from a teacher cache instead of running the teacher.

    In each distillation step the frozen teacher's forward costs about as
    much as the student's forward and backward. ``tools/cache_teacher.py``
    runs the teacher once over N epochs of the training pipeline's random
    views and stores, per (epoch, sample), the view's crop box and flip and
    the teacher's recorded outputs; training then replays each view
    (:class:`~mmkd_plus.datasets.TeacherCacheDataset`) and this algorithm
    distils from the stored outputs, with the same distiller, losses and
    connectors. The teacher's weights are never loaded: the config's
    ``teacher`` is built (randomly initialised) only while the algorithm is
    built, to check the recorders' sources and the logits' widths, and is
    then replaced by a :class:`CachedTeacher` without parameters. See
    ``docs/teacher_cache.md``.

    Related: FKD (Shen & Xing, "A Fast Knowledge Distillation Framework for
    Visual Recognition", ECCV 2022, https://arxiv.org/abs/2112.01528) stores
    region coordinates and soft labels the same way.

    Only ``ModuleOutputs`` teacher recorders can be cached, and the tool
    stores only vector outputs (logits, pooled features): a method reading
    teacher feature maps, method inputs or parameters trains with the
    online config (``CheckedSingleTeacherDistill``).

    Args:
        distiller (dict): As :class:`CheckedSingleTeacherDistill`.
        teacher (dict): The teacher's config, as the online config gives it
            (``tools/cache_teacher.py`` builds and runs it).
        teacher_ckpt (str, optional): The teacher checkpoint the cache was
            built from (not loaded here; the cache's manifest is checked
            against its SHA-256 before training).
        **kwargs: The other arguments of
            :class:`CheckedSingleTeacherDistill`. ``teacher_trainable=True``
            is refused.
    """

    def __init__(self,
                 distiller: dict,
                 teacher: Union[BaseModel, Dict],
                 teacher_ckpt: Optional[str] = None,
                 **kwargs) -> None:
        if kwargs.get('teacher_trainable', False):
            raise ValueError(
                'model.teacher_trainable=True: a trained teacher changes '
                'during training, so its outputs cannot be cached. Train '
                'with CheckedSingleTeacherDistill (the online config).')
        sources = self._cacheable_sources(distiller)
        # built (random) only to check the sources and read their widths
        network = self._build(teacher, 'model.teacher')
        self._check_recorder_sources(distiller, 'teacher', network)
        widths = {
            source: self._output_width(network, source)
            for source in sources.values()
        }
        del network
        # the teacher's weights are never loaded: no warning about a
        # random teacher
        with teacher_from_run_checkpoint():
            super().__init__(
                distiller,
                CachedTeacher(sources, widths),
                teacher_ckpt=None,
                **kwargs)

    @staticmethod
    def _cacheable_sources(distiller: dict) -> Dict[str, str]:
        """``{recorder name: source}`` of the teacher recorders; each must
        record a module's outputs, and no two the same source."""
        recorders = (distiller.get('teacher_recorders') or {}) \
            if isinstance(distiller, dict) else {}
        if not recorders:
            raise ValueError(
                'CachedTeacherDistill: model.distiller.teacher_recorders is '
                'empty; there is nothing to read from a teacher cache.')
        sources = {}
        for name, cfg in recorders.items():
            rtype = str(cfg.get('type', '')).split('.')[-1]
            if rtype not in _OUTPUT_RECORDERS:
                raise ValueError(
                    f'model.distiller.teacher_recorders.{name} is a {rtype} '
                    'recorder: a teacher cache holds module outputs only '
                    '(ModuleOutputs). Train this method with the online '
                    'config (CheckedSingleTeacherDistill).')
            source = cfg.get('source')
            if source in sources.values():
                other = next(n for n, s in sources.items() if s == source)
                raise ValueError(
                    f'model.distiller.teacher_recorders.{name} and .{other} '
                    f'both record {source!r}: keep one of them.')
            sources[name] = source
        return sources
