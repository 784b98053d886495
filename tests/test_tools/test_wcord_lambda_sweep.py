# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/wcord_lambda_sweep.py: each lambda_1 reaches the loss it
names, the table is the mean of the runs, and the teacher is the one that
exists (said, with its top-1) or one trained and said to be."""
import glob
import importlib.util
import json
import os
import os.path as osp
import shutil

import pytest
from kd_test_utils import REPO


def _load_tool():
    path = osp.join(REPO, 'tools', 'analysis', 'wcord_lambda_sweep.py')
    spec = importlib.util.spec_from_file_location('wcord_lambda_sweep', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rejects_negative_lambda():
    tool = _load_tool()
    with pytest.raises(SystemExit):
        tool.parse_args(['--lambdas', '-0.1'])


WRITTEN = 'work_dirs/resnet20_1xb64_digits/epoch_30.pth'


def _no_repo_teacher(tool, tmp_path, monkeypatch):
    """The config's teacher is looked for in tmp_path only (as the
    working directory and as the repository)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tool, 'REPO', str(tmp_path))


def test_config_teacher_from_cwd_or_repo(tmp_path, monkeypatch):
    tool = _load_tool()
    _no_repo_teacher(tool, tmp_path, monkeypatch)
    assert tool.config_teacher() == (WRITTEN, None)
    repo = tmp_path / 'repo'
    monkeypatch.setattr(tool, 'REPO', str(repo))
    os.makedirs(repo / osp.dirname(WRITTEN))
    open(repo / WRITTEN, 'w').close()
    assert tool.config_teacher() == (WRITTEN, str(repo / WRITTEN))
    os.makedirs(tmp_path / osp.dirname(WRITTEN))
    open(tmp_path / WRITTEN, 'w').close()
    assert tool.config_teacher() == (WRITTEN, WRITTEN)


@pytest.mark.slow
def test_sweep_uses_the_existing_teacher(tmp_path, digits_root,
                                         digits_teacher_ckpt, monkeypatch,
                                         capsys):
    tool = _load_tool()
    _no_repo_teacher(tool, tmp_path, monkeypatch)
    os.makedirs(osp.dirname(WRITTEN))
    shutil.copy(digits_teacher_ckpt, WRITTEN)
    work = str(tmp_path / 'sweep')
    tool.main([
        '--lambdas', '0.8', '--seeds', '0', '--epochs', '1', '--num-train',
        '32', '--work-dir', work, '--data-root', digits_root
    ])
    out = capsys.readouterr().out
    with open(osp.join(work, 'results.json')) as f:
        teacher = json.load(f)['teacher']
    assert teacher['checkpoint'] == WRITTEN
    assert f'[sweep] teacher: {WRITTEN} (model.teacher_ckpt of configs/' \
        'wcord/wcord_neck_resnet20_resnet8_1xb64_digits.py), top-1 ' \
        f"{teacher['top1']:.2f}\n" in out
    assert 'training a teacher' not in out
    assert not glob.glob(osp.join(work, 'teacher', '**', '*.pth'),
                         recursive=True)


@pytest.mark.slow
def test_sweep_runs_each_lambda(tmp_path, digits_root, monkeypatch, capsys):
    tool = _load_tool()
    _no_repo_teacher(tool, tmp_path, monkeypatch)
    work = str(tmp_path / 'sweep')
    rows = tool.main([
        '--lambdas', '0', '0.8', '--seeds', '0', '--epochs', '1',
        '--num-train', '64', '--work-dir', work, '--data-root', digits_root
    ])
    with open(osp.join(work, 'results.json')) as f:
        results = json.load(f)
    # no teacher anywhere: it trains one and says what and how long
    out = capsys.readouterr().out
    assert '[sweep] no teacher checkpoint (model.teacher_ckpt of configs/' \
        'wcord/wcord_neck_resnet20_resnet8_1xb64_digits.py = ' \
        f"'{WRITTEN}' does not exist, no --teacher-ckpt): training a " \
        'teacher, configs/teachers/resnet20_1xb64_digits.py, for 1 epoch ' \
        'on the first 64 training images (seed 0, as the students: ' \
        '--epochs and --num-train)\n' in out
    teacher = results['teacher']
    assert teacher['epochs'] == 1 and teacher['train_images'] == 64
    assert '[sweep] teacher trained here: 1 epoch on 64 images in ' \
        f"{teacher['train_seconds']:.0f} s, top-1 {teacher['top1']:.2f}" \
        in out
    runs = {r['method']: r for r in results['runs']}
    assert sorted(runs) == ['lambda_1=0', 'lambda_1=0.8']
    for row in rows:
        assert row['n'] == 1 and row['mean'] == runs[row['method']]['top1']
    # the dumped config of each run carries its lambda_1 as gckt_weight
    for lam in ('0', '0.8'):
        dumped = glob.glob(
            osp.join(work, f'lambda{lam}_seed0', '**', '*.py'),
            recursive=True)
        assert dumped, lam
        text = open(dumped[0]).read()
        assert f'gckt_weight={float(lam)}' in text.replace(' ', ''), lam
    # the plot: one point per lambda_1 at the table's mean
    fig = tool.plot(rows, [0.0, 0.8], 'test')
    line = fig.axes[0].lines[0]
    assert list(line.get_xdata()) == [0.0, 0.8]
    assert list(line.get_ydata()) == [
        runs['lambda_1=0']['top1'], runs['lambda_1=0.8']['top1']
    ]
