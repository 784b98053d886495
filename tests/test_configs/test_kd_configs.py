# Copyright (c) OpenMMLab. All rights reserved.
"""The KD configs compute the CRD benchmark's 0.1 x CE + 0.9 x KD(T=4)."""
import glob
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from kd_test_utils import REPO
from mmengine.config import Config
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS

# the kd_logits_cached_* leaves read the teacher's logits from a cache
# (tests/test_models/test_algorithms/test_cached_teacher_distill.py)
KD_CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', 'baselines', 'kd', '*.py'))
    if not osp.basename(p).startswith('_base_')
    and '_cached_' not in osp.basename(p))


@pytest.mark.parametrize('path', KD_CONFIGS, ids=osp.basename)
def test_kd_loss_equals_hand_computation(path):
    cfg = Config.fromfile(path)
    cfg.model.teacher_ckpt = None
    model = MODELS.build(cfg.model)
    model.train()
    torch.manual_seed(0)
    num_classes = model.student.head.num_classes
    inputs = torch.randn(4, 3, 32, 32)
    labels = [1, 3, 0, 2]
    samples = [DataSample().set_gt_label(y) for y in labels]
    losses = model(inputs, samples, mode='loss')
    # the same logits, computed directly (BN in train mode for the student,
    # eval mode for the frozen teacher, as the algorithm runs them)
    with torch.no_grad():
        z_s = model.student(inputs, mode='tensor')
        z_t = model.teacher(inputs, mode='tensor')
    assert z_s.shape == (4, num_classes)
    T = 4.0
    p_t = F.softmax(z_t / T, dim=1)
    log_p_s = F.log_softmax(z_s / T, dim=1)
    kl = (p_t * (p_t.log() - log_p_s)).sum(dim=1).mean()
    ce = F.cross_entropy(z_s, torch.tensor(labels))
    assert losses['distill.loss_kd'].item() == pytest.approx(
        0.9 * T * T * kl.item(), rel=1e-4)
    assert losses['student.loss'].item() == pytest.approx(
        0.1 * ce.item(), rel=1e-4)
