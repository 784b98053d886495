# Copyright (c) OpenMMLab. All rights reserved.
"""Clear errors of CheckedSingleTeacherDistill."""
import copy
import os.path as osp
import re

import pytest
import torch
from kd_test_utils import KD_DIGITS, REPO
from mmengine.config import Config
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS

from mmkd_plus.utils import CorruptCheckpointError


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


@pytest.mark.parametrize(
    'config, recipe',
    [
        # an ImageNet ResNet teacher is converted, not trained here
        ('configs/quest/quest_layer4_resnet34_resnet18_8xb32_in1k.py',
         r'torchvision_resnet_to_mmpretrain\.py resnet34-b627a593\.pth '
         r'\S*resnet34\.pth.*resnet/resnet34_8xb32_in1k\.py'),
        ('configs/sskd/sskd_stage1_resnet34_8xb32_in1k.py',
         r'torchvision_resnet_to_mmpretrain\.py resnet34-b627a593\.pth'),
        # MFD's face teachers are trained by configs of their own
        ('configs/mfd/mfd_resnet18_1xb128_utkface.py',
         r'`python tools/train\.py configs/mfd/'
         r'scratch_resnet18_1xb128_utkface\.py` \(it writes its '
         r'checkpoints to work_dirs/scratch_resnet18_1xb128_utkface/\)'),
        ('configs/mfd/mfd_shufflenetv2_1xb128_celeba.py',
         r'`python tools/train\.py configs/mfd/'
         r'scratch_shufflenetv2_1xb128_celeba\.py`'),
        ('configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py',
         r'`python tools/train\.py configs/teachers/'
         r'resnet20_1xb64_digits\.py`'),
    ])
def test_missing_teacher_names_the_command_that_makes_it(
        config, recipe, tmp_path):
    """Each config's missing teacher checkpoint names the config that
    trains it, or the conversion that makes it (an ImageNet teacher)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config).model
    cfg.teacher_ckpt = str(tmp_path / 'resnet34.pth')
    if 'in1k' not in config:
        cfg.teacher_ckpt = str(tmp_path / 'teacher.pth')
    with pytest.raises(FileNotFoundError) as err:
        MODELS.build(cfg)
    msg = str(err.value)
    assert 'model.teacher_ckpt=' in msg and 'does not exist' in msg
    assert re.search(recipe, msg), msg
    assert "QuEST's teacher" not in msg


def test_missing_teacher_at_its_own_work_dir_says_no_more(
        tmp_path, monkeypatch):
    """The default path lies in the folder the training writes: the
    message does not repeat it."""
    from mmengine.config import Config
    monkeypatch.chdir(tmp_path)  # no work_dirs/ here
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/mfd/mfd_resnet18_1xb128_utkface.py')).model
    with pytest.raises(FileNotFoundError) as err:
        MODELS.build(cfg)
    msg = str(err.value)
    assert ('`python tools/train.py configs/mfd/'
            'scratch_resnet18_1xb128_utkface.py`, or point') in msg


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
    """The distillation's losses reach CheckFiniteLossHook (every config's
    default_hooks.check_finite) by name: student and distiller apart."""
    from types import SimpleNamespace

    from mmkd_plus.engine.hooks import CheckFiniteLossHook
    model = MODELS.build(kd_model_cfg)
    inputs, samples = _batch()
    inputs[0, 0, 0, 0] = float('nan')
    model.train()
    losses = model(inputs, samples, mode='loss')
    with pytest.raises(FloatingPointError,
                       match=r"Non-finite loss.*'student\.loss'"
                       r".*'distill\.loss_kd'.*optim_wrapper\.optimizer\.lr"):
        CheckFiniteLossHook().after_train_iter(
            SimpleNamespace(iter=0), 0, outputs=losses)


def _save_teacher(cfg, path, **overrides):
    """Save the state dict of ``cfg``'s teacher (after ``overrides``)."""
    cfg = copy.deepcopy(cfg)
    for key, value in overrides.items():
        node = cfg
        *parents, last = key.split('.')
        for part in parents:
            node = node[part]
        node[last] = value
    teacher = MODELS.build(cfg).teacher
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    return teacher


def test_teacher_checkpoint_with_other_number_of_classes(kd_model_cfg,
                                                         tmp_path):
    # a 10-class checkpoint for a teacher configured with 100 classes
    path = str(tmp_path / 'teacher10.pth')
    _save_teacher(kd_model_cfg, path)
    cfg = copy.deepcopy(kd_model_cfg)
    # keys beside cfg_path merge on top of the networks' configs, as
    # --cfg-options model.teacher.head.num_classes=100 does
    cfg.teacher.head = dict(num_classes=100)
    cfg.architecture.head = dict(num_classes=100)
    with pytest.raises(ValueError) as err:
        MODELS.build(dict(cfg, teacher_ckpt=path))
    msg = str(err.value)
    assert 'model.teacher_ckpt' in msg
    assert 'head.fc.weight: checkpoint (10, 64) vs model (100, 64)' in msg
    assert 'model.teacher.head.num_classes=10' in msg


@pytest.mark.parametrize('damage', ['empty', 'truncated', 'flipped'])
def test_unreadable_teacher_checkpoint(kd_model_cfg, tmp_path, damage):
    good = str(tmp_path / 'epoch_1.pth')
    _save_teacher(kd_model_cfg, good)
    data = open(good, 'rb').read()
    bad = str(tmp_path / 'epoch_2.pth')
    with open(bad, 'wb') as f:
        if damage == 'truncated':
            f.write(data[:len(data) // 2])
        elif damage == 'flipped':  # one byte inside the weights
            middle = len(data) // 2
            f.write(data[:middle] + bytes([data[middle] ^ 0xFF]) +
                    data[middle + 1:])
    cfg = dict(copy.deepcopy(kd_model_cfg), teacher_ckpt=bad)
    with pytest.raises(CorruptCheckpointError) as err:
        MODELS.build(cfg)
    msg = str(err.value)
    assert msg.startswith('model.teacher_ckpt: the checkpoint')
    assert repr(bad) in msg and 'cannot be read' in msg
    assert good in msg  # the other checkpoint of the folder is offered
    assert 'PytorchStreamReader' not in msg or damage != 'empty'


def test_teacher_with_non_finite_weights(kd_model_cfg, tmp_path):
    teacher = MODELS.build(kd_model_cfg).teacher
    state = teacher.state_dict()
    state['backbone.conv1.weight'][0, 0, 0, 0] = float('nan')
    state['head.fc.bias'][3] = float('inf')
    path = str(tmp_path / 'diverged.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(ValueError,
                       match=r"model\.teacher_ckpt=.*not finite \(2 tensors"
                       r".*backbone\.conv1\.weight.*lower learning rate"):
        MODELS.build(dict(copy.deepcopy(kd_model_cfg), teacher_ckpt=path))


def test_student_and_teacher_with_different_classes(kd_model_cfg):
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.teacher.head = dict(num_classes=100)
    with pytest.raises(ValueError) as err:
        MODELS.build(cfg)
    msg = str(err.value)
    assert 'model.distiller.distill_losses.loss_kd' in msg
    assert "'head.fc' (10 outputs)" in msg and "(100 outputs)" in msg
    assert 'model.teacher.head.num_classes' in msg
    # features of different widths behind a connector are not logits: fine
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.teacher.head = dict(num_classes=100)
    cfg.distiller.student_recorders.fc.source = 'backbone.layer3'
    cfg.distiller.teacher_recorders.fc.source = 'backbone.layer3'
    cfg.distiller.distill_losses.loss_kd = dict(type='L2Loss')
    cfg.distiller.loss_forward_mappings.loss_kd = dict(
        s_feature=dict(from_student=True, recorder='fc'),
        t_feature=dict(from_student=False, recorder='fc'))
    MODELS.build(cfg)


@pytest.mark.parametrize('key,bad,closest', [
    ('distiller.distill_losses.loss_kd', 'KLDivergense', 'KLDivergence'),
    ('architecture.backbone', 'CIFARResNt', 'CIFARResNet'),
    ('teacher.neck', 'GlobalAveragePoling', 'GlobalAveragePooling'),
])
def test_misspelt_type_names_key_and_closest(kd_model_cfg, key, bad,
                                             closest):
    cfg = copy.deepcopy(kd_model_cfg)
    *path, last = key.split('.')
    node = cfg
    for part in path:
        node = node[part]
    if last in node:
        node[last]['type'] = bad
    else:  # beside a network's cfg_path: merged on top of its config
        node[last] = dict(type=bad)
    with pytest.raises(ValueError) as err:
        MODELS.build(cfg)
    msg = str(err.value)
    assert f"model.{key}.type={bad!r}" in msg
    assert repr(closest) in msg.split('Closest registered names:')[1]


def test_recorder_hint_is_a_command(kd_model_cfg):
    cfg = copy.deepcopy(kd_model_cfg)
    cfg.distiller.student_recorders.fc.source = 'head.fcc'
    with pytest.raises(ValueError,
                       match=r'python tools/analysis/list_layers\.py CONFIG'):
        MODELS.build(cfg)
