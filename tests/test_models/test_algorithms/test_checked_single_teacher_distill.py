# Copyright (c) OpenMMLab. All rights reserved.
"""Clear errors of CheckedSingleTeacherDistill."""
import copy

import pytest
import torch
from kd_test_utils import KD_DIGITS
from mmengine.config import Config
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS


@pytest.fixture(scope='module')
def kd_model_cfg():
    cfg = Config.fromfile(KD_DIGITS)
    model = copy.deepcopy(cfg.model)
    model.teacher_ckpt = None
    return model


def _batch(n=2):
    inputs = torch.randn(n, 3, 32, 32)
    samples = [DataSample().set_gt_label(i % 10) for i in range(n)]
    return inputs, samples


def test_builds_and_computes_kd_loss(kd_model_cfg):
    model = MODELS.build(kd_model_cfg)
    losses = model(*_batch(), mode='loss')
    assert set(losses) == {'student.loss', 'distill.loss_kd'}
    assert all(torch.isfinite(v) for v in losses.values())
    # the teacher is frozen; the student trains
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert all(p.requires_grad for p in model.student.parameters())


def test_wrong_recorder_layer_names_the_key(kd_model_cfg):
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.distiller.student_recorders.fc.source = 'head.fcc'
    with pytest.raises(ValueError) as err:
        MODELS.build(cfg)
    msg = str(err.value)
    assert 'model.distiller.student_recorders.fc.source' in msg
    assert "'head.fcc'" in msg and "'head.fc'" in msg  # the close match
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.distiller.teacher_recorders.fc.source = 'backbone.layer9'
    with pytest.raises(ValueError,
                       match=r'teacher_recorders\.fc\.source.*model\.teacher'):
        MODELS.build(cfg)


def test_missing_teacher_checkpoint(kd_model_cfg, tmp_path):
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.teacher_ckpt = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError,
                       match=r'model\.teacher_ckpt=.*nope\.pth.*does not '
                       r'exist.*tools/train\.py'):
        MODELS.build(cfg)


def test_teacher_checkpoint_of_another_network(kd_model_cfg, tmp_path):
    # a resnet8 state dict given as the resnet20 teacher's checkpoint
    student = MODELS.build(kd_model_cfg).student
    path = tmp_path / 'resnet8.pth'
    torch.save({'state_dict': student.state_dict()}, path)
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.teacher_ckpt = str(path)
    with pytest.raises(ValueError, match='does not fit the teacher model'):
        MODELS.build(cfg)


def test_teacher_checkpoint_loads_exactly(kd_model_cfg, tmp_path):
    teacher = MODELS.build(kd_model_cfg).teacher
    with torch.no_grad():
        for p in teacher.parameters():
            p.uniform_()
    path = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.teacher_ckpt = str(path)
    model = MODELS.build(cfg)
    model.init_weights()  # as the Runner does: must not reset the teacher
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value), key


def test_recorder_that_records_nothing(kd_model_cfg):
    # the student's data_preprocessor is one of its modules, but the
    # algorithm preprocesses the batch itself: it is never called in forward
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.distiller.student_recorders.fc.source = 'data_preprocessor'
    model = MODELS.build(cfg)
    with pytest.raises(RuntimeError,
                       match=r'captured nothing.*student_recorders\.fc '
                       r"\(source='data_preprocessor'\)"):
        model(*_batch(), mode='loss')


def test_non_finite_loss_stops_with_name(kd_model_cfg):
    model = MODELS.build(kd_model_cfg)
    inputs, samples = _batch()
    inputs[0, 0, 0, 0] = float('nan')
    model.train()
    with pytest.raises(FloatingPointError,
                       match=r"Non-finite loss at iteration .*'student\.loss'"
                       r".*'distill\.loss_kd'"):
        model(inputs, samples, mode='loss')
