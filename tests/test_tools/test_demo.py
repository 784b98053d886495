# Copyright (c) OpenMMLab. All rights reserved.
"""tools/demo.py: where the teacher goes, progress lines, the table."""
import json
import os.path as osp

import pytest
from kd_test_utils import REPO, load_tool
from mmengine.config import Config

demo = load_tool('demo.py')


def test_demo_teacher_is_where_the_digits_configs_read_it():
    target = demo.configured_teacher_ckpt()
    assert target == 'work_dirs/resnet20_1xb64_digits/epoch_30.pth'
    teacher = next(r for r in demo.ROWS if r.whole_split)
    # a full demo: the teacher's work dir holds that checkpoint at the end
    assert demo.work_dir_of(teacher, 'work_dirs/demo', None) == osp.dirname(
        target)
    cfg = Config.fromfile(osp.join(REPO, teacher.config))
    assert f"epoch_{cfg.train_cfg.max_epochs}.pth" == osp.basename(target)
    # and it is where tools/train.py puts the teacher config's run
    assert osp.basename(osp.dirname(target)) == osp.splitext(
        osp.basename(teacher.config))[0]
    # every distilled row's config reads that same file
    for row in demo.ROWS:
        if row.teacher == 'teacher':
            cfg = Config.fromfile(osp.join(REPO, row.config))
            assert cfg.model.teacher_ckpt == target, row.name
    # a quick look keeps its teacher apart
    assert demo.work_dir_of(teacher, 'w', 2) == 'w/resnet20_1xb64_digits'


def test_every_other_row_has_its_own_work_dir():
    # only the digits configs' teacher goes to their directory; the other
    # whole-split rows (SSKD stage 1, the MFD teacher and student) must not
    # share it, or one row's epoch_10.pth overwrites another's
    dirs = [demo.work_dir_of(r, 'work_dirs/demo', None) for r in demo.ROWS]
    assert len(set(dirs)) == len(dirs), dirs
    target_dir = osp.dirname(demo.configured_teacher_ckpt())
    assert [r.name for r, d in zip(demo.ROWS, dirs)
            if d == target_dir] == ['teacher']


def test_rows_name_existing_configs_and_rows():
    names = [r.name for r in demo.ROWS]
    assert len(set(names)) == len(names)
    for i, row in enumerate(demo.ROWS):
        assert osp.isfile(osp.join(REPO, row.config)), row.config
        deps = [row.teacher, row.load_from, *(row.ckpt_options or {}).values()]
        for dep in deps:
            assert dep is None or dep in names[:i], (row.name, dep)


def test_students_see_the_share(digits_root, tmp_path):
    row = next(r for r in demo.ROWS if r.name == 'KD student')
    cfg = demo.build_cfg(row, str(tmp_path), digits_root, 143, 7,
                         {'teacher': 't.pth'})
    assert cfg.train_dataloader.dataset.indices == 143
    assert cfg.train_cfg.max_epochs == 7 and cfg.param_scheduler.T_max == 7
    assert cfg.model.teacher_ckpt == 't.pth'
    assert cfg.val_dataloader.dataset.data_root == digits_root
    teacher = demo.build_cfg(demo.ROWS[0], str(tmp_path), digits_root, 143,
                             None, {})
    assert 'indices' not in teacher.train_dataloader.dataset
    assert teacher.train_cfg.max_epochs == 30


@pytest.mark.slow
def test_quick_demo_prints_progress_and_table(digits_root, tmp_path,
                                              capsys):
    work = str(tmp_path / 'demo')
    results = demo.main([
        '--epochs', '2', '--share', '0.02', '--only', 'KD student',
        '--work-dir', work, '--data-root', digits_root
    ])
    out = capsys.readouterr().out
    assert [r['model'] for r in results] == ['teacher', 'KD student']
    assert results[0]['train_images'] == 1438
    assert results[1]['train_images'] == 29
    # progress: a line per epoch (2 epochs), with the running loss
    lines = [ln for ln in out.splitlines() if 'KD student: epoch' in ln]
    assert len(lines) == 2 and 'epoch   2/2  loss ' in lines[-1]
    assert 'One test image is worth 0.28 points' in out
    # the quick look's teacher stays in the work dir
    assert f"{work}/resnet20_1xb64_digits/epoch_2.pth" in out
    with open(osp.join(work, 'results.json')) as f:
        assert json.load(f) == results
    assert '| KD student | CIFARResNet-8 |' in open(
        osp.join(work, 'results.md')).read()


def test_rows_take_other_rows_checkpoints(digits_root, tmp_path):
    """SSKD's stage 2 reads stage 1's head; MFD's student its own teacher."""
    rows = {r.name: r for r in demo.ROWS}
    checkpoints = {
        'teacher': 't.pth',
        'SSKD teacher head (stage 1)': 'ss.pth',
        'MFD teacher (DigitsS)': 'mfd_t.pth'
    }
    cfg = demo.build_cfg(rows['SSKD student'], str(tmp_path), digits_root,
                         143, None, checkpoints)
    assert cfg.model.teacher_ss_ckpt == 'ss.pth'
    assert cfg.model.teacher_ckpt == 't.pth'
    cfg = demo.build_cfg(rows['MFD student (DigitsS)'], str(tmp_path),
                         digits_root, 143, None, checkpoints)
    assert cfg.model.teacher_ckpt == 'mfd_t.pth'
    assert 'indices' not in cfg.train_dataloader.dataset  # whole split


def test_table_shows_deo_of_fairness_rows():
    row = dict(model='m', network='n', params=1000, train_images=10,
               top1=90.0, train_seconds=1.0, config='c.py')
    table = demo.format_table([
        dict(row, deo_m=None, deo_a=None),
        dict(row, model='f', deo_m=12.5, deo_a=3.25)
    ])
    assert '| m | n | 1.0K | 10 | 90.00 | – |' in table
    assert '| f | n | 1.0K | 10 | 90.00 | 12.50 / 3.25 |' in table


@pytest.mark.slow
def test_quick_demo_of_the_sskd_and_mfd_rows(digits_root, tmp_path):
    work = str(tmp_path / 'demo')
    results = demo.main([
        '--epochs', '1', '--share', '0.05', '--only', 'SSKD student',
        'MFD student (DigitsS)', '--work-dir', work, '--data-root',
        digits_root
    ])
    by_name = {r['model']: r for r in results}
    assert list(by_name) == [
        'teacher', 'SSKD teacher head (stage 1)', 'SSKD student',
        'MFD teacher (DigitsS)', 'MFD student (DigitsS)'
    ]
    mfd = by_name['MFD student (DigitsS)']
    assert 0 <= mfd['deo_a'] <= mfd['deo_m'] <= 100
    assert by_name['SSKD student']['deo_m'] is None
    assert by_name['SSKD student']['network'] == 'CIFARResNet-8'
