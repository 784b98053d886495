# Copyright (c) OpenMMLab. All rights reserved.
"""SSKD's two stages as MMRazor algorithms (Xu et al., ECCV 2020).

"Knowledge Distillation Meets Self-Supervision",
https://arxiv.org/abs/2006.07114, following the step order of the authors'
code (https://github.com/xuguodong03/SSKD), written afresh:

- stage 1, :class:`SSKDTeacherStage`: the teacher, frozen (no gradients,
  BN statistics untouched), and a self-supervised head
  (:class:`~mmkd_plus.models.architectures.connectors.SSKDHead`) trained on
  its pooled features with :class:`~mmkd_plus.models.losses.SSKDHeadLoss`;
- stage 2, :class:`SSKDDistill`: every view of the batch through both
  networks; the student's CE on the normal views; the distillation losses
  (KD, KD on the transformed views, the self-supervised term) from the
  recorders, the teacher's head loaded from stage 1 and frozen.
"""
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional, Union

import torch
from mmengine.model import BaseModel
from mmrazor.models.algorithms import BaseAlgorithm, SingleTeacherDistill
from mmrazor.models.utils import add_prefix

from mmkd_plus.ops.sskd import split_views
from mmkd_plus.registry import MODELS
from mmkd_plus.utils import (load_checkpoint_file, network_config,
                             other_checkpoints)
from .checked_single_teacher_distill import (CheckedSingleTeacherDistill,
                                             load_teacher_checkpoint,
                                             warn_random_teacher)

__all__ = [
    'SSKDDistill', 'SSKDTeacherStage', 'load_sskd_stage1_checkpoint',
    'missing_stage1_message'
]

_HEAD_PREFIX = 'ss_head.'
_TEACHER_PREFIX = 'architecture.'
# mmkd_plus/: configs/ sits beside it in a checkout, in .mim/ when installed
_PACKAGE = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _flatten_views(batch_inputs: torch.Tensor, owner: str) -> torch.Tensor:
    if batch_inputs.dim() != 5:
        raise ValueError(
            f'{owner} trains on multi-view batches (B, V, C, H, W), got '
            f'{tuple(batch_inputs.shape)}: end train_pipeline with '
            'LabelledMultiView + PackMultiViewInputs and set '
            "data_preprocessor type='mmpretrain.MultiViewDataPreprocessor' "
            '(the SSKD recipes do).')
    return batch_inputs.flatten(0, 1)


def _stage1_config(name: str) -> Optional[str]:
    """``configs/sskd/<name>.py`` if that config exists (from the working
    directory, the repository or the installed package), else None."""
    rel = osp.join('configs', 'sskd', f'{name}.py')
    roots = (os.getcwd(), osp.dirname(_PACKAGE), osp.join(_PACKAGE, '.mim'))
    return rel if any(osp.isfile(osp.join(r, rel)) for r in roots) else None


def missing_stage1_message(path: str,
                           key: str = 'model.teacher_ss_ckpt') -> str:
    """The message for a stage-1 checkpoint that does not exist.

    It names the stage-1 config the checkpoint's folder is named after
    (MMEngine's default work dir, ``work_dirs/<config name>``) or says
    that none is, and lists the readable checkpoints of that folder (a
    stage 1 run shorter than the path expects leaves earlier epochs).
    """
    folder = osp.dirname(osp.abspath(path))
    name = osp.basename(folder)
    config = _stage1_config(name)
    train = (f'python tools/train.py {config}' if config else
             'python tools/train.py configs/sskd/sskd_stage1_<teacher>_'
             '<data>.py')
    if config:
        which = f'Its stage 1 is {config} (the folder\'s name)'
    else:
        which = (f'No stage-1 config is named after its folder '
                 f'(configs/sskd/{name}.py does not exist)')
    others = other_checkpoints(path)
    if others:
        names = ', '.join(osp.basename(p) for p in others)
        order = ' (newest first)' if len(others) > 1 else ''
        one = 'it' if len(others) == 1 else 'one of them'
        where = (f'that folder has {names}{order}: point {key} at {one} '
                 f'(--cfg-options {key}={others[0]}) or train stage 1 to '
                 f'its end ({train}).')
    elif osp.isdir(folder):
        where = (f'that folder holds no readable checkpoint: train stage 1 '
                 f'({train}) or point {key} at its checkpoint.')
    else:
        where = (f'that folder does not exist: train stage 1 first '
                 f'({train}) or point {key} at its checkpoint.')
    return (f'{key}={path!r} (the stage-1 checkpoint with the teacher\'s '
            f'self-supervised head) does not exist. {which}; {where}')


def load_sskd_stage1_checkpoint(teacher: torch.nn.Module,
                                head: torch.nn.Module,
                                path: str,
                                check_teacher: bool = True,
                                key: str = 'model.teacher_ss_ckpt') -> None:
    """Load the teacher's self-supervised head from a stage-1 checkpoint.

    The checkpoint (of :class:`SSKDTeacherStage`) holds the frozen teacher
    under ``architecture.`` and the head under ``ss_head.``. The head is
    loaded strictly. With ``check_teacher`` the stored teacher must equal
    ``teacher`` (the head was trained on this teacher's features);
    otherwise ``teacher`` is loaded from the checkpoint.

    Args:
        teacher (nn.Module): The stage-2 teacher.
        head (nn.Module): The teacher's head connector.
        path (str): The stage-1 checkpoint.
        check_teacher (bool): Compare instead of load. Defaults to True.
        key (str): The config key to name in errors.
    """
    if '://' not in path and not osp.isfile(path):
        raise FileNotFoundError(missing_stage1_message(path, key))
    checkpoint = load_checkpoint_file(
        path, key, f'Point {key} at the last checkpoint of the stage-1 '
        'run, or train stage 1 again.')
    state = checkpoint.get('state_dict', checkpoint)
    head_state = {
        k[len(_HEAD_PREFIX):]: v
        for k, v in state.items() if k.startswith(_HEAD_PREFIX)
    }
    teacher_state = {
        k[len(_TEACHER_PREFIX):]: v
        for k, v in state.items() if k.startswith(_TEACHER_PREFIX)
    }
    if not head_state or not teacher_state:
        raise ValueError(
            f'{key}={path!r} is not an SSKD stage-1 checkpoint (no '
            f'"{_HEAD_PREFIX}" and "{_TEACHER_PREFIX}" weights); give the '
            'checkpoint of the stage-1 config (SSKDTeacherStage).')
    expected = head.state_dict()
    wrong = sorted(set(expected) ^ set(head_state)) + sorted(
        k for k in set(expected) & set(head_state)
        if expected[k].shape != head_state[k].shape)
    if wrong:
        shapes = {k: tuple(v.shape) for k, v in head_state.items()}
        raise ValueError(
            f'{key}={path!r}: its head does not fit model.distiller.'
            f'connectors (keys/shapes differ at {wrong[:3]}; the checkpoint '
            f'has {shapes}). Was stage 1 run for this pair and task?')
    current = teacher.state_dict()
    if set(current) != set(teacher_state) or any(
            current[k].shape != teacher_state[k].shape for k in current):
        raise ValueError(
            f'{key}={path!r} was trained on another teacher network than '
            'model.teacher (its teacher weights do not fit). Run stage 1 '
            'for this teacher.')
    if check_teacher:
        differ = [
            k for k in current
            if not torch.equal(current[k].cpu(), teacher_state[k])
        ]
        if differ:
            raise ValueError(
                f'{key}={path!r} was trained on a different teacher '
                f'checkpoint than model.teacher_ckpt ({len(differ)} tensors '
                'differ, e.g. '
                f'{differ[:3]}). Run stage 1 from this teacher, or unset '
                'model.teacher_ckpt to take the teacher from the stage-1 '
                'checkpoint.')
    else:
        teacher.load_state_dict(teacher_state, strict=True)
    head.load_state_dict(head_state, strict=True)


class _MultiViewStep(SingleTeacherDistill):
    """The SSKD training step, in place of ``SingleTeacherDistill.loss``.

    Placed after :class:`CheckedSingleTeacherDistill` in
    :class:`SSKDDistill`'s method resolution order, so that the checked
    class's ``loss`` (its recorder diagnostics and finiteness check) wraps
    this step.
    """

    def loss(self,
             batch_inputs: torch.Tensor,
             data_samples: Optional[List] = None) -> Dict[str, torch.Tensor]:
        """All views through both networks, CE on the normal views only."""
        num_views = batch_inputs.size(1) if batch_inputs.dim() == 5 else 0
        inputs = _flatten_views(batch_inputs, 'SSKDDistill')
        losses = dict()
        with self.distiller.teacher_recorders, torch.no_grad():
            self.teacher(inputs, data_samples, mode='tensor')
        with self.distiller.student_recorders:
            logits = self.student(inputs, data_samples, mode='tensor')
        if self.calculate_student_loss:
            normal = split_views(logits, num_views)[:, 0]
            losses.update(
                add_prefix(
                    self.student.head._get_loss(normal, data_samples),
                    'student'))
        if not self.distillation_stopped:
            losses.update(
                add_prefix(self.distiller.compute_distill_losses(), 'distill'))
        return losses


@MODELS.register_module()
class SSKDDistill(CheckedSingleTeacherDistill, _MultiViewStep):
    """SSKD stage 2: distil a student with self-supervision signals.

    "Knowledge Distillation Meets Self-Supervision" (Xu et al., ECCV 2020),
    https://arxiv.org/abs/2006.07114. :class:`CheckedSingleTeacherDistill`
    (same checks and configs) with the SSKD step: a training batch is
    (B, V, C, H, W) (:class:`~mmkd_plus.datasets.transforms.
    PackMultiViewInputs`); all B * V views, interleaved, go through the
    teacher (frozen) and the student; the student head's CE (its
    ``loss_weight`` is SSKD's ``w_ce``) uses the B normal views only; the
    distiller's losses (``loss_kd``, ``loss_tf``, ``loss_ss``) read the
    recorders. Validation and test see normal images, as any
    ``SingleTeacherDistill``.

    The teacher's self-supervised head, the connector ``teacher_ss_head``,
    is loaded from the stage-1 checkpoint ``teacher_ss_ckpt`` and frozen;
    if ``teacher_ckpt`` is unset, the teacher is loaded from that
    checkpoint too.

    Args:
        teacher_ss_ckpt (str, optional): The stage-1 checkpoint
            (:class:`SSKDTeacherStage`). Defaults to None (a random,
            frozen head, with a warning; for tests only).
        teacher_ss_head (str): The name of the teacher's head in
            ``distiller.connectors``. Defaults to ``'ss_t'``.
        **kwargs: The arguments of :class:`CheckedSingleTeacherDistill`.
    """

    def __init__(self,
                 *args,
                 teacher_ss_ckpt: Optional[str] = None,
                 teacher_ss_head: str = 'ss_t',
                 **kwargs) -> None:
        if kwargs.get('teacher_trainable'):
            raise ValueError(
                'model.teacher_trainable=True: SSKD keeps the teacher frozen '
                '(its head comes from stage 1); remove the key.')
        super().__init__(*args, **kwargs)
        connectors = self.distiller.connectors
        if teacher_ss_head not in connectors:
            raise ValueError(
                f'model.teacher_ss_head={teacher_ss_head!r} is not a '
                f'connector of model.distiller.connectors '
                f'({sorted(connectors)}).')
        head = connectors[teacher_ss_head]
        if teacher_ss_ckpt:
            load_sskd_stage1_checkpoint(
                self.teacher,
                head,
                teacher_ss_ckpt,
                check_teacher=bool(kwargs.get('teacher_ckpt')))
            self.teacher._is_init = True
        else:
            warn_random_teacher(
                'model.teacher_ss_ckpt is not set: the teacher\'s self-'
                'supervised head is random and frozen (run stage 1 first).')
        head.requires_grad_(False)
        head._is_init = True


@MODELS.register_module()
class SSKDTeacherStage(BaseAlgorithm):
    """SSKD stage 1: train the teacher's self-supervised head only.

    The teacher (``architecture``) is loaded from ``teacher_ckpt`` and
    frozen: no parameter receives a gradient and it always runs in eval
    mode, so its weights and BN statistics end as they began. The head
    (``ss_head``, an :class:`~mmkd_plus.models.architectures.connectors.
    SSKDHead`) is trained on the teacher's pooled features of every view
    with ``ss_loss`` (:class:`~mmkd_plus.models.losses.SSKDHeadLoss`). The
    checkpoint (``architecture.*``, ``ss_head.*``) is stage 2's
    ``teacher_ss_ckpt``. Validation reports the teacher's own accuracy,
    which must not move.

    Args:
        architecture (dict | BaseModel): The teacher (an mmpretrain
            ``ImageClassifier``, or ``dict(cfg_path=...)``: see
            :func:`~mmkd_plus.utils.network_config`).
        ss_head (dict): The head connector config.
        ss_loss (dict): The head loss config. Defaults to the contrastive
            ``SSKDHeadLoss``.
        teacher_ckpt (str, optional): The teacher's checkpoint. Defaults to
            None (a random teacher, with a warning; for tests only).
        data_preprocessor (dict, optional): See ``BaseAlgorithm``.
        init_cfg (dict, optional): See ``BaseAlgorithm``.
    """

    def __init__(self,
                 architecture: Union[BaseModel, Dict],
                 ss_head: Dict,
                 ss_loss: Optional[Dict] = None,
                 teacher_ckpt: Optional[str] = None,
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        cfg_path = architecture.get('cfg_path') if isinstance(
            architecture, Mapping) else None
        architecture = network_config(architecture, 'model.architecture')
        super().__init__(architecture, data_preprocessor, init_cfg)
        self.ss_head = MODELS.build(ss_head)
        self.ss_loss = MODELS.build(
            ss_loss or dict(type='SSKDHeadLoss', task='contrastive'))
        if teacher_ckpt:
            load_teacher_checkpoint(
                self.architecture, teacher_ckpt, cfg_path=cfg_path)
            self.architecture._is_init = True
        else:
            warn_random_teacher(
                'model.teacher_ckpt is not set: training a head on a '
                'randomly initialised teacher.')
        self.architecture.requires_grad_(False)

    def train(self, mode: bool = True) -> 'SSKDTeacherStage':
        """Set the mode; the teacher stays in eval mode."""
        super().train(mode)
        self.architecture.eval()
        return self

    def loss(self,
             batch_inputs: torch.Tensor,
             data_samples: Optional[List] = None) -> Dict[str, torch.Tensor]:
        """The head's loss on the frozen teacher's features of every view."""
        inputs = _flatten_views(batch_inputs, 'SSKDTeacherStage')
        with torch.no_grad():
            feats = self.architecture.extract_feat(inputs)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        return dict(loss_ss=self.ss_loss(self.ss_head(feats), data_samples))
