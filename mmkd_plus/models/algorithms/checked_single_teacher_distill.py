# Copyright (c) OpenMMLab. All rights reserved.
"""MMRazor's single-teacher distillation with loud, early errors."""
import contextlib
import difflib
import logging
import os.path as osp
from typing import Dict, List, Mapping, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmrazor.models.algorithms import SingleTeacherDistill

from mmkd_plus.registry import MODELS
from mmkd_plus.utils import (call_explained, checkpoint_recipe,
                             load_checkpoint_file, network_config)

__all__ = [
    'CheckedSingleTeacherDistill', 'load_teacher_checkpoint',
    'TEACHER_FILE_KEYS', 'drop_teacher_files',
    'teacher_from_run_checkpoint', 'warn_random_teacher'
]

# set while a model is built whose teacher comes from the checkpoint of the
# run itself (tools/test.py, a resume): no warning about a random teacher
_TEACHER_FROM_RUN_CHECKPOINT = False


@contextlib.contextmanager
def teacher_from_run_checkpoint():
    """Build models whose teacher checkpoints are left out because the
    run's own checkpoint (evaluated or resumed) holds the teacher: the
    warnings about a random teacher (or SSKD head) stay silent."""
    global _TEACHER_FROM_RUN_CHECKPOINT
    before, _TEACHER_FROM_RUN_CHECKPOINT = _TEACHER_FROM_RUN_CHECKPOINT, True
    try:
        yield
    finally:
        _TEACHER_FROM_RUN_CHECKPOINT = before


#: The model keys of files that only make the teacher side of a run (the
#: teacher's weights, SSKD's stage-1 head): a checkpoint of the run holds
#: them, so evaluating or resuming it does not read these files.
TEACHER_FILE_KEYS = ('teacher_ckpt', 'teacher_ss_ckpt')


def drop_teacher_files(model_cfg: dict) -> List[str]:
    """Unset the teacher files of a model config (see
    :data:`TEACHER_FILE_KEYS`) whose weights the run's checkpoint brings;
    build it inside :func:`teacher_from_run_checkpoint`.

    Returns:
        list[str]: The keys that were set (``model.<key>``).
    """
    dropped = []
    for key in TEACHER_FILE_KEYS:
        if model_cfg.get(key):
            model_cfg[key] = None
            dropped.append(f'model.{key}')
    return dropped


def warn_random_teacher(message: str) -> None:
    """Warn that a teacher part starts random, unless the run's own
    checkpoint brings it (:func:`teacher_from_run_checkpoint`)."""
    if not _TEACHER_FROM_RUN_CHECKPOINT:
        print_log(message, logger='current', level=logging.WARNING)


# recorder types whose ``source`` names a module / a parameter of the model
_MODULE_RECORDERS = ('ModuleOutputs', 'ModuleInputs', 'ModuleOutputsRecorder',
                     'ModuleInputsRecorder')
_PARAM_RECORDERS = ('Parameter', 'ParameterRecorder')
_OUTPUT_RECORDERS = ('ModuleOutputs', 'ModuleOutputsRecorder')


def _is_remote(path: str) -> bool:
    return '://' in path


def _shape_mismatches(teacher: torch.nn.Module,
                      state: Dict[str, torch.Tensor]) -> List[tuple]:
    own = teacher.state_dict()
    return [(k, tuple(v.shape), tuple(own[k].shape))
            for k, v in state.items()
            if k in own and hasattr(v, 'shape') and v.shape != own[k].shape]


def _classes_hint(teacher: torch.nn.Module, mismatches: List[tuple]) -> str:
    head = getattr(teacher, 'head', None)
    num_classes = getattr(head, 'num_classes', None)
    for name, ckpt_shape, model_shape in mismatches:
        if name.startswith('head.') and name.endswith('.weight') and \
                len(ckpt_shape) == 2 and num_classes == model_shape[0]:
            return (f' The checkpoint classifies {ckpt_shape[0]} classes, '
                    f'the teacher config {num_classes}: set '
                    f'model.teacher.head.num_classes={ckpt_shape[0]} (and '
                    'the student and data to match) or use a '
                    f'{num_classes}-class teacher checkpoint.')
    return (' Is it the checkpoint of this teacher config (its depth, '
            'widths and number of classes)?')


def _load_or_explain(path: str, key: str) -> dict:
    fix = (f'Point {key} at another checkpoint of the teacher (e.g. '
           f'--cfg-options {key}=PATH) or train the teacher again.')
    return load_checkpoint_file(path, key, fix)


def load_teacher_checkpoint(teacher: torch.nn.Module,
                            path: str,
                            key: str = 'model.teacher_ckpt',
                            cfg_path: Optional[str] = None) -> None:
    """Load a teacher checkpoint strictly, with errors that name ``key``.

    Accepts a plain state dict, an mmengine training checkpoint
    (``state_dict`` + ``meta``) and a distillation checkpoint of ours (whose
    student lives under ``architecture.``): the teacher must match every
    weight, so a wrong checkpoint fails here instead of distilling from a
    half-random teacher. Each of these raises one error naming ``key``: a
    missing file, a file that is no checkpoint or cannot be read (a web
    page, truncated, corrupt), a class the safe loader does not allow
    (:mod:`mmkd_plus.utils.checkpoint`), a distillation checkpoint, missing
    or unexpected weights, weights of another shape (e.g. another number
    of classes) and weights that are not finite (a teacher whose training
    diverged).

    Args:
        teacher (nn.Module): The teacher model.
        path (str): Local path (or URL, left to mmengine).
        key (str): The config key to name in errors.
        cfg_path (str, optional): The teacher's ``cfg_path``: a missing
            file's message names the command that trains or converts it
            (:func:`~mmkd_plus.utils.checkpoint_recipe`).
    """
    if not _is_remote(path) and not osp.isfile(path):
        raise FileNotFoundError(
            f'{key}={osp.abspath(path)!r} does not exist. '
            f'{checkpoint_recipe(cfg_path, path)}, or point {key} at its '
            f'checkpoint, e.g. --cfg-options {key}=PATH.')
    checkpoint = _load_or_explain(path, key)
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
    mismatches = _shape_mismatches(teacher, state)
    if mismatches:
        shown = '; '.join(f'{k}: checkpoint {c} vs model {m}'
                          for k, c, m in mismatches[:3])
        raise ValueError(
            f'{key}={path!r} does not fit the teacher model '
            f'(model.teacher): {len(mismatches)} weights differ in shape '
            f'({shown}).' + _classes_hint(teacher, mismatches))
    not_finite = [
        k for k, v in state.items()
        if torch.is_tensor(v) and v.is_floating_point()
        and not bool(torch.isfinite(v).all())
    ]
    if not_finite:
        raise ValueError(
            f'{key}={path!r}: the teacher\'s weights are not finite '
            f'({len(not_finite)} tensors hold NaN/Inf, e.g. '
            f'{not_finite[:3]}), so its training diverged. Train the '
            'teacher again with a lower learning rate (its config\'s '
            'optim_wrapper.optimizer.lr) or use an earlier checkpoint of it.')
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
    - a misspelt ``type`` anywhere in the student, the teacher or the
      distiller names its config key and the closest registered names;
    - a loss that compares student and teacher logits of different widths
      (numbers of classes) fails at build time, naming both ``num_classes``;
    - ``teacher_ckpt`` must exist, be readable and fit the teacher exactly,
      with finite weights (a missing, truncated or corrupt file, a
      distillation checkpoint, a wrong network, another number of classes
      or a diverged teacher each raise an error naming
      ``model.teacher_ckpt``); ``None`` warns that the teacher is random;
    - a recorder that captured nothing in a forward pass (its module is not
      on the forward path) raises a ``RuntimeError`` naming the recorder;
    - a loss with a ``config_key`` attribute (``SyncCRDLoss``,
      ``WCoRDLoss``) learns its key in the distiller, which its errors
      name;
    - a frozen teacher (``teacher_trainable=False``, the default) runs
      entirely in eval mode after ``model.train()``: dropout, stochastic
      depth and anything else that reads ``training``, not only its
      BatchNorm layers as in MMRazor's class, so the same image gives the
      same teacher output at every step (the authors' scripts call
      ``teacher.eval()``). A trainable teacher keeps MMRazor's behaviour
      (``teacher_norm_eval``).

    Args:
        distiller (dict): Distiller config (e.g. ``ConfigurableDistiller``).
        teacher (dict | BaseModel): Teacher model or its config; like the
            student (``architecture``), it may be given by the config that
            trains it, ``dict(cfg_path='mmkd_plus::teachers/<net>.py')`` or
            ``'mmpretrain::...'``, other keys merged on top
            (:func:`~mmkd_plus.utils.network_config`).
        teacher_ckpt (str, optional): Teacher checkpoint. Defaults to None.
        **kwargs: Other arguments of ``SingleTeacherDistill``
            (``architecture``, ``data_preprocessor``, ``teacher_trainable``,
            ``teacher_norm_eval``, ...).

    Example:
        >>> model = dict(
        ...     _scope_='mmrazor',
        ...     type='CheckedSingleTeacherDistill',
        ...     architecture=dict(cfg_path='mmkd_plus::teachers/'
        ...                       'resnet8x4_1xb64_cifar100.py'),
        ...     teacher=dict(cfg_path='mmkd_plus::teachers/'
        ...                  'resnet32x4_1xb64_cifar100.py'),
        ...     teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/'
        ...     'epoch_240.pth',
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
                 architecture: Union[BaseModel, Dict, None] = None,
                 **kwargs) -> None:
        if architecture is None:
            raise ValueError('model.architecture (the student) is required')
        architecture = self._build(architecture, 'model.architecture')
        teacher_cfg_path = teacher.get('cfg_path') if isinstance(
            teacher, Mapping) else None
        teacher = self._build(teacher, 'model.teacher')
        self._check_recorder_sources(distiller, 'student', architecture)
        self._check_recorder_sources(distiller, 'teacher', teacher)
        self._check_logit_widths(distiller, architecture, teacher)
        if not kwargs.get('teacher_trainable', False) and \
                kwargs.get('teacher_norm_eval', True) is False:
            raise ValueError(
                'model.teacher_norm_eval=False has no effect on a frozen '
                'teacher: it runs entirely in eval mode (BatchNorm with its '
                'running statistics, no dropout). Remove the key, or set '
                'model.teacher_trainable=True to train the teacher.')
        call_explained(
            super().__init__,
            dict(distiller=distiller, **kwargs),
            key_prefix='model',
            distiller=distiller,
            teacher=teacher,
            teacher_ckpt=None,
            architecture=architecture,
            **kwargs)
        self._name_losses()
        if teacher_ckpt:
            load_teacher_checkpoint(
                self.teacher, teacher_ckpt, cfg_path=teacher_cfg_path)
            # keep the loaded weights through Runner's init_weights
            self.teacher._is_init = True
        elif not self.teacher_trainable:
            warn_random_teacher(
                'model.teacher_ckpt is not set: distilling from a randomly '
                'initialised, frozen teacher.')

    def _name_losses(self) -> None:
        """Tell each loss that names its config key in errors (a
        ``config_key`` attribute) which key it is."""
        losses = getattr(self.distiller, 'distill_losses', None) or {}
        for name, loss in losses.items():
            if hasattr(loss, 'config_key'):
                loss.config_key = f'model.distiller.distill_losses.{name}'

    def train(self, mode: bool = True) -> 'CheckedSingleTeacherDistill':
        """Set the training mode; a frozen teacher stays in eval mode."""
        super().train(mode)
        if not self.teacher_trainable:
            self.teacher.eval()
        return self

    @staticmethod
    def _build(model: Union[BaseModel, Dict], key: str) -> BaseModel:
        """Build a network config (``cfg_path`` resolved, see
        :func:`~mmkd_plus.utils.network_config`); an unknown ``type`` names
        its key."""
        if not isinstance(model, dict):
            return model
        model = network_config(model, key)
        return call_explained(MODELS.build, model, model, key_prefix=key)

    @staticmethod
    def _output_width(model: torch.nn.Module, source: str) -> Optional[int]:
        """Number of outputs of a classifier layer (Linear / cls head)."""
        try:
            module = model.get_submodule(source)
        except AttributeError:
            return None
        if isinstance(module, torch.nn.Linear):
            return module.out_features
        return getattr(module, 'num_classes', None)

    @classmethod
    def _check_logit_widths(cls, distiller: dict, student: torch.nn.Module,
                            teacher: torch.nn.Module) -> None:
        """A loss comparing student and teacher logits of different widths
        (numbers of classes) fails at build time, not at the first step."""
        if not isinstance(distiller, dict):
            return
        models = dict(student=student, teacher=teacher)
        for loss_name, mapping in (distiller.get('loss_forward_mappings')
                                   or {}).items():
            widths = dict(student={}, teacher={})
            for arg in (mapping or {}).values():
                if not isinstance(arg, dict) or arg.get('connector'):
                    continue
                side = 'student' if arg.get('from_student') else 'teacher'
                recorder = (distiller.get(f'{side}_recorders')
                            or {}).get(arg.get('recorder'), {})
                if recorder.get('type') not in _OUTPUT_RECORDERS:
                    continue
                source = recorder.get('source')
                width = cls._output_width(models[side], source)
                if width is not None:
                    widths[side][source] = width
            s_widths = set(widths['student'].values())
            t_widths = set(widths['teacher'].values())
            if s_widths and t_widths and s_widths != t_widths:
                s_src, s_w = next(iter(widths['student'].items()))
                t_src, t_w = next(iter(widths['teacher'].items()))
                raise ValueError(
                    f'model.distiller.distill_losses.{loss_name} compares '
                    f'the student\'s {s_src!r} ({s_w} outputs) with the '
                    f'teacher\'s {t_src!r} ({t_w} outputs): student and '
                    'teacher must classify the same classes. Set '
                    'model.architecture.head.num_classes and '
                    'model.teacher.head.num_classes to the number of '
                    'classes of the data (and the teacher checkpoint).')

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
                'List them with: python tools/analysis/list_layers.py '
                'CONFIG' + (' --params' if kind == 'parameter' else '') + '.')

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
        return losses
