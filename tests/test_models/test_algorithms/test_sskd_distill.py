# Copyright (c) OpenMMLab. All rights reserved.
"""SSKD's two stages: a frozen teacher in stage 1, the stage-1 checkpoint
checks and the multi-view step of stage 2, against hand computation."""
import copy
import os
import os.path as osp
import shutil

import pytest
import torch
import torch.nn.functional as F
from kd_test_utils import REPO
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS

from mmkd_plus.models.algorithms.sskd_distill import \
    load_sskd_stage1_checkpoint
from mmkd_plus.ops.sskd import soft_kl, view_similarity

SSKD = osp.join(REPO, 'configs', 'sskd')
STAGE1 = osp.join(SSKD, 'sskd_stage1_resnet20_1xb64_digits.py')
STAGE2 = osp.join(SSKD, 'sskd_resnet20_resnet8_1xb64_digits.py')


def _model_cfg(path, **overrides):
    cfg = Config.fromfile(path)
    model = copy.deepcopy(cfg.model)
    model.setdefault('data_preprocessor', cfg.data_preprocessor)
    model.update(overrides)
    return model


def _batch(batch=3, views=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(
            0, 255, (views, 3, 32, 32), generator=g, dtype=torch.uint8)
        for _ in range(batch)
    ]
    samples = []
    for i in range(batch):
        ds = DataSample().set_gt_label(i % 10)
        ds.set_field(torch.arange(views), 'view_labels')
        samples.append(ds)
    return dict(inputs=inputs, data_samples=samples)


def _stage1(teacher_ckpt=None):
    return MODELS.build(_model_cfg(STAGE1, teacher_ckpt=teacher_ckpt))


def _train(model, steps=3, lr=0.5):
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='SGD', lr=lr, momentum=0.9,
                           weight_decay=5e-4)))
    model.train()
    for step in range(steps):
        model.train_step(_batch(seed=step), wrapper)


def test_stage1_trains_the_head_only():
    model = _stage1()
    teacher = copy.deepcopy(model.architecture.state_dict())
    head = copy.deepcopy(model.ss_head.state_dict())
    _train(model)
    # weights AND BN statistics (running mean/var, batch counter) unchanged
    after = model.architecture.state_dict()
    assert any('running_mean' in k for k in after)
    for key, value in teacher.items():
        assert torch.equal(after[key], value), key
    assert all(not m.training for m in model.architecture.modules())
    assert all(p.grad is None for p in model.architecture.parameters())
    # the head moved
    assert any(not torch.equal(model.ss_head.state_dict()[k], v)
               for k, v in head.items())


@pytest.fixture
def stage1_ckpt(tmp_path):
    model = _stage1()
    _train(model, steps=1)
    path = str(tmp_path / 'stage1.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    teacher = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=model.architecture.state_dict()), teacher)
    return path, teacher, model


def test_stage2_loads_and_freezes_the_teacher_head(stage1_ckpt):
    path, teacher_path, stage1 = stage1_ckpt
    for teacher_ckpt in (None, teacher_path):
        model = MODELS.build(
            _model_cfg(
                STAGE2, teacher_ckpt=teacher_ckpt, teacher_ss_ckpt=path))
        head = model.distiller.connectors['ss_t']
        for k, v in stage1.ss_head.state_dict().items():
            assert torch.equal(head.state_dict()[k], v)
        for k, v in stage1.architecture.state_dict().items():
            assert torch.equal(model.teacher.state_dict()[k], v)
        assert not any(p.requires_grad for p in head.parameters())
        assert all(p.requires_grad
                   for p in model.distiller.connectors['ss_s'].parameters())


STAGE1_NAME = 'sskd_stage1_resnet20_1xb64_digits'


def test_missing_stage1_checkpoint_of_a_shortened_stage1(
        stage1_ckpt, tmp_path):
    """Stage 1 ran fewer epochs than the path says: the message names the
    stage-1 config and the readable checkpoints it left."""
    folder = tmp_path / 'work_dirs' / STAGE1_NAME
    folder.mkdir(parents=True)
    shutil.copy(stage1_ckpt[0], folder / 'epoch_3.pth')
    (folder / 'epoch_4.pth').write_bytes(b'cut short')  # not offered
    missing = str(folder / 'epoch_10.pth')
    with pytest.raises(FileNotFoundError) as err:
        MODELS.build(
            _model_cfg(STAGE2, teacher_ckpt=None, teacher_ss_ckpt=missing))
    assert str(err.value) == (
        f'model.teacher_ss_ckpt={missing!r} (the stage-1 checkpoint with '
        "the teacher's self-supervised head) does not exist. Its stage 1 is "
        f"configs/sskd/{STAGE1_NAME}.py (the folder's name); that folder "
        'has epoch_3.pth: point model.teacher_ss_ckpt at it (--cfg-options '
        f"model.teacher_ss_ckpt={folder / 'epoch_3.pth'}) or train stage 1 "
        f'to its end (python tools/train.py configs/sskd/{STAGE1_NAME}.py).')


def test_missing_stage1_checkpoint_in_a_folder_of_no_config(
        stage1_ckpt, tmp_path):
    folder = tmp_path / 'my_stage1'
    folder.mkdir()
    for epoch, mtime in ((1, 1e9), (2, 2e9)):
        shutil.copy(stage1_ckpt[0], folder / f'epoch_{epoch}.pth')
        os.utime(folder / f'epoch_{epoch}.pth', (mtime, mtime))
    missing = str(folder / 'epoch_10.pth')
    with pytest.raises(FileNotFoundError) as err:
        load_sskd_stage1_checkpoint(None, None, missing)
    train = ('python tools/train.py configs/sskd/sskd_stage1_<teacher>_'
             '<data>.py')
    assert str(err.value).endswith(
        'does not exist. No stage-1 config is named after its folder '
        '(configs/sskd/my_stage1.py does not exist); that folder has '
        'epoch_2.pth, epoch_1.pth (newest first): point '
        'model.teacher_ss_ckpt at one of them (--cfg-options '
        f"model.teacher_ss_ckpt={folder / 'epoch_2.pth'}) or train stage 1 "
        f'to its end ({train}).')
    # no readable checkpoint there, or no such folder
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        (folder / name).write_bytes(b'')
    with pytest.raises(FileNotFoundError) as err:
        load_sskd_stage1_checkpoint(None, None, missing)
    assert str(err.value).endswith(
        '; that folder holds no readable checkpoint: train stage 1 '
        f'({train}) or point model.teacher_ss_ckpt at its checkpoint.')
    with pytest.raises(FileNotFoundError) as err:
        load_sskd_stage1_checkpoint(
            None, None, str(tmp_path / STAGE1_NAME / 'epoch_10.pth'))
    assert str(err.value).endswith(
        f"Its stage 1 is configs/sskd/{STAGE1_NAME}.py (the folder's name); "
        'that folder does not exist: train stage 1 first (python '
        f'tools/train.py configs/sskd/{STAGE1_NAME}.py) or point '
        'model.teacher_ss_ckpt at its checkpoint.')


def test_stage2_rejects_a_missing_or_wrong_stage1_checkpoint(
        stage1_ckpt, tmp_path, monkeypatch):
    path, teacher_path, _ = stage1_ckpt
    # the leaf as written points at work_dirs/..., absent here (a checkout
    # where the demo ran has it)
    monkeypatch.chdir(tmp_path)
    cfg = _model_cfg(STAGE2, teacher_ckpt=None)
    with pytest.raises(FileNotFoundError) as err:
        MODELS.build(cfg)
    assert 'model.teacher_ss_ckpt' in str(err.value)
    assert cfg.teacher_ss_ckpt in str(err.value)
    assert 'sskd_stage1_resnet20_1xb64_digits' in str(err.value)
    # a plain teacher checkpoint is not a stage-1 checkpoint
    with pytest.raises(
            ValueError, match=r"model.teacher_ss_ckpt=.*not an SSKD stage-1"):
        MODELS.build(
            _model_cfg(
                STAGE2, teacher_ckpt=None, teacher_ss_ckpt=teacher_path))
    # stage 1 of another teacher checkpoint
    other = _stage1()
    other_teacher = str(tmp_path / 'other_teacher.pth')
    torch.save(dict(state_dict=other.architecture.state_dict()), other_teacher)
    with pytest.raises(
            ValueError,
            match=r'model.teacher_ss_ckpt=.*different '
            r'teacher checkpoint'):
        MODELS.build(
            _model_cfg(
                STAGE2, teacher_ckpt=other_teacher, teacher_ss_ckpt=path))
    # a head of another width (e.g. another task's classifier)
    wide = _model_cfg(STAGE2, teacher_ckpt=None, teacher_ss_ckpt=path)
    wide.distiller.connectors.ss_t.out_channels = 4
    with pytest.raises(
            ValueError,
            match=r'model.teacher_ss_ckpt=.*does not '
            'fit model.distiller.connectors'):
        MODELS.build(wide)


def test_stage2_step_by_hand():
    """CE on the normal views only; KD, KD on the transformed views and the
    similarity term recomputed from the networks' outputs."""
    model = MODELS.build(
        _model_cfg(STAGE2, teacher_ckpt=None, teacher_ss_ckpt=None))
    model.train()
    data = model.data_preprocessor(_batch(), True)
    inputs, samples = data['inputs'], data['data_samples']
    assert inputs.shape == (3, 4, 3, 32, 32)
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {
        'student.loss', 'distill.loss_kd', 'distill.loss_tf', 'distill.loss_ss'
    }

    flat = inputs.flatten(0, 1)
    labels = torch.tensor([0, 1, 2])
    with torch.no_grad():
        s_logits = model.student(flat, mode='tensor')
        t_logits = model.teacher(flat, mode='tensor')
        s_z = model.distiller.connectors['ss_s'](
            model.student.extract_feat(flat)[-1])
        t_z = model.distiller.connectors['ss_t'](
            model.teacher.extract_feat(flat)[-1])
    normal = torch.arange(0, 12, 4)
    transformed = torch.tensor([i for i in range(12) if i % 4])
    ce = 0.1 * F.cross_entropy(s_logits[normal], labels)
    kd = 0.9 * soft_kl(s_logits[normal], t_logits[normal], 4.0)
    tf = 2.7 * soft_kl(s_logits[transformed], t_logits[transformed], 4.0)
    assert torch.allclose(losses['student.loss'], ce, rtol=1e-4)
    assert torch.allclose(losses['distill.loss_kd'], kd, rtol=1e-4)
    assert torch.allclose(losses['distill.loss_tf'], tf, rtol=1e-4)
    a_s, a_t = view_similarity(s_z, 4), view_similarity(t_z, 4)
    rank = (a_t
            > a_t.gather(1,
                         torch.arange(3).repeat_interleave(3).view(-1,
                                                                   1))).sum(1)
    wrong = torch.nonzero(rank).flatten()
    keep = torch.cat([
        torch.nonzero(rank == 0).flatten(),
        wrong[torch.sort(rank[wrong],
                         stable=True).indices][:int(0.75 * wrong.numel())]
    ])
    ss = 10.0 * soft_kl(a_s[keep], a_t[keep], 0.5)
    assert torch.allclose(losses['distill.loss_ss'], ss, rtol=1e-4)

    # gradients reach the student and its head, never the teacher side
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert all(p.grad is None
               for p in model.distiller.connectors['ss_t'].parameters())
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is not None
               for p in model.distiller.connectors['ss_s'].parameters())


def test_single_view_training_batch_is_refused():
    model = MODELS.build(
        _model_cfg(STAGE2, teacher_ckpt=None, teacher_ss_ckpt=None))
    samples = [DataSample().set_gt_label(0)]
    with pytest.raises(ValueError, match='LabelledMultiView'):
        model(torch.randn(1, 3, 32, 32), samples, mode='loss')
    with pytest.raises(ValueError, match='model.teacher_trainable'):
        MODELS.build(
            _model_cfg(
                STAGE2,
                teacher_ckpt=None,
                teacher_ss_ckpt=None,
                teacher_trainable=True))
    # prediction (validation) takes normal single-view batches
    out = model(torch.randn(2, 3, 32, 32), samples * 2, mode='predict')
    assert len(out) == 2 and out[0].pred_score.shape == (10, )
