# Copyright (c) OpenMMLab. All rights reserved.
"""MMRazor's single-teacher distillation with loud, early errors."""
import difflib
import logging
import os.path as osp
from typing import Dict, List, Optional, Union

import torch
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import _load_checkpoint
from mmrazor.models.algorithms import SingleTeacherDistill

from mmkd_plus.registry import MODELS

__all__ = ['CheckedSingleTeacherDistill', 'load_teacher_checkpoint']

# recorder types whose ``source`` names a module / a parameter of the model
_MODULE_RECORDERS = ('ModuleOutputs', 'ModuleInputs', 'ModuleOutputsRecorder',
                     'ModuleInputsRecorder')
_PARAM_RECORDERS = ('Parameter', 'ParameterRecorder')


def _is_remote(path: str) -> bool:
    return '://' in path


def load_teacher_checkpoint(teacher: torch.nn.Module, path: str,
                            key: str = 'model.teacher_ckpt') -> None:
    """Load a teacher checkpoint strictly, with errors that name ``key``.

    Accepts a plain state dict, an mmengine training checkpoint
    (``state_dict`` + ``meta``) and a distillation checkpoint of ours (whose
    student lives under ``architecture.``): the teacher must match every
    weight, so a wrong checkpoint fails here instead of distilling from a
    half-random teacher.

    Args:
        teacher (nn.Module): The teacher model.
        path (str): Local path (or URL, left to mmengine).
        key (str): The config key to name in errors.
    """
    if not _is_remote(path) and not osp.isfile(path):
        raise FileNotFoundError(
            f'{key}={path!r} does not exist. Train the teacher first (e.g. '
            '`python tools/train.py configs/teachers/<teacher>.py`) or point '
            f'{key} at its checkpoint, e.g. --cfg-options {key}=PATH.')
    checkpoint = _load_checkpoint(path, map_location='cpu')
    state = checkpoint.get('state_dict', checkpoint)
    if any(k.startswith('architecture.') for k in state):
        raise ValueError(
            f'{key}={path!r} is a distillation checkpoint (its keys start '
            'with "architecture."); convert it first with tools/'
            'model_converters/convert_kd_ckpt_to_student.py.')
    expected = set(teacher.state_dict())
    missing = sorted(expected - set(state))
    unexpected = sorted(set(state) - expected)
    if missing or unexpected:
        raise ValueError(
            f'{key}={path!r} does not fit the teacher model '
            f'(model.teacher): {len(missing)} missing keys (e.g. '
            f'{missing[:3]}), {len(unexpected)} unexpected keys (e.g. '
            f'{unexpected[:3]}). Is it the checkpoint of this teacher '
            'config?')
    teacher.load_state_dict(state, strict=True)


@MODELS.register_module()
class CheckedSingleTeacherDistill(SingleTeacherDistill):
    """MMRazor's ``SingleTeacherDistill`` that fails loudly and early.

    It behaves as MMRazor's `SingleTeacherDistill
    <https://github.com/open-mmlab/mmrazor/blob/main/mmrazor/models/
    algorithms/distill/configurable/single_teacher_distill.py>`_ and adds:

    - every recorder ``source`` is checked against the student's / teacher's
      modules at build time; a wrong name raises one ``ValueError`` naming
      the config key and the closest module names;
    - ``teacher_ckpt`` must exist and fit the teacher exactly (a missing
      file, a distillation checkpoint or a wrong network each raise an
      error naming ``model.teacher_ckpt``); ``None`` warns that the teacher
      is random;
    - a recorder that captured nothing in a forward pass (its module is not
      on the forward path) raises a ``RuntimeError`` naming the recorder;
    - a non-finite loss stops training with the iteration and loss name.

    Args:
        distiller (dict): Distiller config (e.g. ``ConfigurableDistiller``).
        teacher (dict | BaseModel): Teacher model or its config.
        teacher_ckpt (str, optional): Teacher checkpoint. Defaults to None.
        check_finite (bool): Raise on a NaN/Inf loss. Defaults to True.
        **kwargs: Other arguments of ``SingleTeacherDistill``
            (``architecture``, ``data_preprocessor``, ``teacher_trainable``,
            ``teacher_norm_eval``, ...).

    Example:
        >>> model = dict(
        ...     _scope_='mmrazor',
        ...     type='CheckedSingleTeacherDistill',
        ...     architecture=student_cfg,
        ...     teacher=teacher_cfg,
        ...     teacher_ckpt='work_dirs/teacher/epoch_240.pth',
        ...     distiller=dict(
        ...         type='ConfigurableDistiller',
        ...         student_recorders=dict(
        ...             fc=dict(type='ModuleOutputs', source='head.fc')),
        ...         teacher_recorders=dict(
        ...             fc=dict(type='ModuleOutputs', source='head.fc')),
        ...         distill_losses=dict(loss_kl=dict(
        ...             type='KLDivergence', tau=4, loss_weight=0.9)),
        ...         loss_forward_mappings=dict(loss_kl=dict(
        ...             preds_S=dict(from_student=True, recorder='fc'),
        ...             preds_T=dict(from_student=False, recorder='fc')))))
    """

    def __init__(self,
                 distiller: dict,
                 teacher: Union[BaseModel, Dict],
                 teacher_ckpt: Optional[str] = None,
                 check_finite: bool = True,
                 architecture: Union[BaseModel, Dict, None] = None,
                 **kwargs) -> None:
        if architecture is None:
            raise ValueError('model.architecture (the student) is required')
        if isinstance(architecture, dict):
            architecture = MODELS.build(architecture)
        if isinstance(teacher, dict):
            teacher = MODELS.build(teacher)
        self._check_recorder_sources(distiller, 'student', architecture)
        self._check_recorder_sources(distiller, 'teacher', teacher)
        super().__init__(
            distiller=distiller,
            teacher=teacher,
            teacher_ckpt=None,
            architecture=architecture,
            **kwargs)
        self.check_finite = check_finite
        if teacher_ckpt:
            load_teacher_checkpoint(self.teacher, teacher_ckpt)
            # keep the loaded weights through Runner's init_weights
            self.teacher._is_init = True
        elif not self.teacher_trainable:
            print_log(
                'model.teacher_ckpt is not set: distilling from a randomly '
                'initialised, frozen teacher.',
                logger='current',
                level=logging.WARNING)

    @staticmethod
    def _check_recorder_sources(distiller: dict, side: str,
                                model: torch.nn.Module) -> None:
        recorders = (distiller.get(f'{side}_recorders') or {}) \
            if isinstance(distiller, dict) else {}
        module_names = [n for n, _ in model.named_modules() if n]
        param_names = [n for n, _ in model.named_parameters()]
        owner = 'model.architecture' if side == 'student' else 'model.teacher'
        for name, cfg in recorders.items():
            rtype, source = cfg.get('type', ''), cfg.get('source')
            if rtype in _MODULE_RECORDERS:
                pool, kind = module_names, 'module'
            elif rtype in _PARAM_RECORDERS:
                pool, kind = param_names, 'parameter'
            else:
                continue
            if source in pool:
                continue
            close = difflib.get_close_matches(str(source), pool, n=5)
            hint = f' Closest: {close}.' if close else ''
            raise ValueError(
                f'model.distiller.{side}_recorders.{name}.source={source!r}'
                f' is not a {kind} of the {side} ({owner}).{hint} '
                f'List them with: [n for n, _ in model.named_{kind}s()].')

    def _empty_recorders(self) -> List[str]:
        empty = []
        for side in ('student', 'teacher'):
            manager = getattr(self.distiller, f'{side}_recorders', None)
            for name, recorder in getattr(manager, 'recorders', {}).items():
                if len(recorder.data_buffer) == 0:
                    empty.append(f'model.distiller.{side}_recorders.{name} '
                                 f'(source={recorder.source!r})')
        return empty

    def loss(self, batch_inputs: torch.Tensor,
             data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """Compute the losses; explain a recorder that captured nothing."""
        try:
            losses = super().loss(batch_inputs, data_samples)
        except (AssertionError, IndexError) as err:
            empty = self._empty_recorders()
            if empty:
                raise RuntimeError(
                    'These recorders captured nothing in the forward pass '
                    '(their module or method is never called, so there is '
                    'nothing to distil): ' + '; '.join(empty)) from err
            raise
        if self.check_finite and self.training:
            self._check_finite(losses)
        return losses

    @staticmethod
    def _check_finite(losses: Dict[str, torch.Tensor]) -> None:
        items = [(k, v) for k, v in losses.items()
                 if 'loss' in k and isinstance(v, torch.Tensor)]
        if not items:
            return
        sums = torch.stack([v.detach().float().sum() for _, v in items])
        finite = torch.isfinite(sums)
        if bool(finite.all()):
            return
        bad = [k for (k, _), ok in zip(items, finite.tolist()) if not ok]
        it = MessageHub.get_current_instance().get_info('iter')
        raise FloatingPointError(
            f'Non-finite loss at iteration {it}: {bad}. Lower the learning '
            'rate or the loss weights, or check the inputs.')
