# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/correlation_diff.py and linear_probe.py (SSKD's
supplement analyses) on hand-made weights and on the digits."""
import math
import os.path as osp

import pytest
import torch
from kd_test_utils import REPO, load_tool
from mmengine.config import Config
from mmrazor.registry import MODELS

correlation_diff = load_tool('analysis/correlation_diff.py')
linear_probe = load_tool('analysis/linear_probe.py')
SSKD_DIGITS = osp.join(REPO, 'configs', 'sskd',
                       'sskd_resnet20_resnet8_1xb64_digits.py')
PROBE_DIGITS = osp.join(REPO, 'configs', 'teachers', 'resnet8_1xb64_digits.py')

TEACHER_W = torch.tensor([[1., 0.], [0., 1.], [1., 1.]])
STUDENT_W = torch.tensor([[2., 0., 0.], [1., 0., 0.], [0., 0., 3.]])


def test_correlation_difference_by_hand(tmp_path):
    r = 1 / math.sqrt(2)
    # C_T = [[1, 0, r], [0, 1, r], [r, r, 1]]; C_S = [[1, 1, 0], [1, 1, 0],
    # [0, 0, 1]] (rows normalised first, so the scales do not matter)
    diff = correlation_diff.correlation_difference(TEACHER_W, STUDENT_W)
    expected = torch.tensor([[0, 1, r], [1, 0, r], [r, r, 0]],
                            dtype=torch.double)
    assert torch.allclose(diff, expected)

    good = str(tmp_path / 'copy.pth')
    torch.save(
        dict(
            state_dict={
                'architecture.head.fc.weight': 3 * TEACHER_W,
                'teacher.head.fc.weight': TEACHER_W
            }), good)
    bad = str(tmp_path / 'other.pth')
    torch.save(
        dict(
            state_dict={
                'architecture.head.fc.weight': STUDENT_W,
                'teacher.head.fc.weight': TEACHER_W
            }), bad)
    out = str(tmp_path / 'out')
    res = correlation_diff.main(
        [good, bad, '--names', 'copy', 'other', '--out-dir', out])
    assert res['copy']['mean_abs_diff'] == pytest.approx(0.0, abs=1e-7)
    assert res['other']['mean_abs_diff'] == pytest.approx(
        (2 + 4 * r) / 9, rel=1e-6)
    assert osp.getsize(osp.join(out, 'other.png')) > 1000
    assert osp.isfile(osp.join(out, 'correlation_diff.json'))

    # a plain student checkpoint against a given teacher
    plain = str(tmp_path / 'student.pth')
    torch.save({'head.fc.weight': STUDENT_W}, plain)
    teacher = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict={'head.fc.weight': TEACHER_W}), teacher)
    res = correlation_diff.main(
        [plain, '--teacher', teacher, '--out-dir', out])
    assert res['student']['mean_abs_diff'] == pytest.approx(
        (2 + 4 * r) / 9, rel=1e-6)
    with pytest.raises(ValueError, match='3 classes, the student 2'):
        correlation_diff.correlation_difference(TEACHER_W, TEACHER_W[:2])


@pytest.fixture(scope='module')
def digits_student_ckpt(tmp_path_factory):
    """A (randomly initialised) SSKD digits distiller's checkpoint."""
    cfg = Config.fromfile(SSKD_DIGITS)
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = model_cfg.teacher_ss_ckpt = None
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    path = str(tmp_path_factory.mktemp('probe') / 'sskd.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path, model


def test_linear_probe_on_the_digits(digits_root, digits_student_ckpt,
                                    tmp_path):
    path, model = digits_student_ckpt
    cfg = Config.fromfile(SSKD_DIGITS)
    # the student's weights, not the teacher's, are probed
    network = linear_probe.build_network(cfg, path, 'student')
    assert torch.equal(network.backbone.conv1.weight,
                       model.student.backbone.conv1.weight)
    teacher = linear_probe.build_network(cfg, path, 'teacher')
    assert torch.equal(teacher.backbone.conv1.weight,
                       model.teacher.backbone.conv1.weight)
    out = str(tmp_path / 'probe.json')
    roots = [
        f'{k}_dataloader.dataset.data_root={digits_root}'
        for k in ('train', 'val', 'test')
    ]
    result = linear_probe.main([
        SSKD_DIGITS, path, PROBE_DIGITS, '--max-train', '600', '--max-test',
        '300', '--out', out, '--cfg-options', *roots
    ])
    assert (result['num_train'], result['num_test']) == (600, 300)
    assert result['feat_dim'] == 64 and result['num_classes'] == 10
    # frozen random features of a CNN still separate the digits linearly
    # (ten classes: chance is 10 %)
    assert result['test_top1'] > 50, result
    assert osp.isfile(out)


def test_probe_features_are_the_pooled_features(digits_root,
                                                digits_student_ckpt):
    path, model = digits_student_ckpt
    cfg = Config.fromfile(SSKD_DIGITS)
    network = linear_probe.build_network(cfg, path, 'student')
    probe = Config.fromfile(PROBE_DIGITS)
    loader = probe.test_dataloader.copy()
    loader.dataset.data_root = digits_root
    loader.batch_size = 8
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        from mmengine.registry import MODELS as ROOT
        pre = ROOT.build(probe.data_preprocessor)
        dataloader = Runner.build_dataloader(loader)
        x, y = linear_probe.extract_features(network, pre, dataloader, 8)
        batch = pre(next(iter(dataloader)), False)
    with torch.no_grad():
        ref = model.student.eval().extract_feat(batch['inputs'])[-1]
    assert torch.allclose(torch.from_numpy(x), ref, atol=1e-5)
    assert y.tolist() == [int(s.gt_label) for s in batch['data_samples']]
