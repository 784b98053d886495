# Copyright (c) OpenMMLab. All rights reserved.
"""tools/demo.py: where the teacher goes, progress lines, the table, the
reference seed spread beside each row, several seeds."""
import json
import math
import os.path as osp
import statistics

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
        saved = json.load(f)
    assert saved['runs'] == results
    assert [r['seed'] for r in results] == [0, 0]
    assert saved['settings'] == dict(share_images=29, student_epochs=60,
                                     epochs=2, seeds=[0])
    assert '| KD student | CIFARResNet-8 |' in open(
        osp.join(work, 'results.md')).read()
    # the committed reference is for the demo's own settings, not these
    assert 'was measured at other settings' in out


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
               top1=90.0, train_seconds=1.0, config='c.py', epochs=1)
    table = demo.format_table(demo.summarize([
        dict(row, deo_m=None, deo_a=None),
        dict(row, model='f', deo_m=12.5, deo_a=3.25)
    ]))
    assert '| m | n | 1.0K | 10 | 90.00 | – | – |' in table
    assert '| f | n | 1.0K | 10 | 90.00 | – | 12.50 / 3.25 |' in table
    # over seeds: each DEO as mean ± std
    table = demo.format_table(demo.summarize([
        dict(row, model='f', deo_m=12.0, deo_a=3.0),
        dict(row, model='f', deo_m=14.0, deo_a=5.0)
    ]))
    assert '| 13.00 ± 1.41 / 4.00 ± 1.41 |' in table


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


def _rows(*models):
    base = dict(network='n', params=1000, train_images=10,
                train_seconds=1.0, config='c.py', epochs=1)
    return [dict(base, model=m, seed=s, top1=t, deo_m=None, deo_a=None)
            for m, s, t in models]


REF_SETTINGS = dict(share_images=144, student_epochs=60, epochs=None)


def _reference(rows, **extra):
    return dict(
        format=1, command='python tools/demo.py --seeds 0 1 2',
        seeds=[0, 1, 2], date='2026-12-01T10:00:00+00:00',
        settings=REF_SETTINGS,
        machine=dict(cpus=2, processor='x86_64', torch='2.13.0'),
        rows=rows, **extra)


def test_summarize_over_seeds():
    runs = _rows(('teacher', 0, 99.0), ('KD student', 0, 80.0),
                 ('teacher', 1, 98.0), ('KD student', 1, 84.0),
                 ('teacher', 2, 97.0), ('KD student', 2, 82.0))
    rows = demo.summarize(runs)
    assert [r['model'] for r in rows] == ['teacher', 'KD student']
    kd = rows[1]
    assert kd['seeds'] == [0, 1, 2]
    assert kd['top1']['mean'] == pytest.approx(82.0)
    assert kd['top1']['std'] == pytest.approx(2.0)
    assert (kd['top1']['n'], kd['top1']['values']) == (3, [80.0, 84.0,
                                                           82.0])
    assert kd['deo_m'] is None
    one = demo.summarize(runs[:2])
    assert one[0]['top1'] == dict(mean=99.0, std=None, n=1, values=[99.0])


def test_table_prints_the_reference_spread_beside_each_row():
    rows = demo.summarize(_rows(('teacher', 0, 98.61), ('KD student', 0,
                                                        81.62),
                                ('QuEST student', 0, 67.41)))
    reference = _reference({
        'teacher': dict(top1=dict(mean=98.9, std=0.25, n=3)),
        'KD student': dict(top1=dict(mean=79.39, std=2.18, n=3)),
    })
    table = demo.format_table(rows, reference)
    assert 'reference: mean ± std over seeds' in table.splitlines()[0]
    assert '| teacher | n | 1.0K | 10 | 98.61 | 98.90 ± 0.25 (n=3) |' in table
    assert '| KD student | n | 1.0K | 10 | 81.62 | 79.39 ± 2.18 (n=3) |' \
        in table
    # a row the reference lacks: said so, no number
    assert '| QuEST student | n | 1.0K | 10 | 67.41 | not measured |' in table
    # no reference (or one for other settings): a dash
    assert '| KD student | n | 1.0K | 10 | 81.62 | – |' in demo.format_table(
        rows, None)
    note = demo.reference_note(reference, demo.REFERENCE, REF_SETTINGS,
                               [r['model'] for r in rows])
    assert 'over seeds 0 1 2' in note and '2026-12-01' in note
    assert '`python tools/demo.py --seeds 0 1 2`' in note
    assert 'docs/results/digits_demo.json' in note
    assert 'no measurement for: QuEST student' in note
    other = demo.reference_note(reference, demo.REFERENCE,
                                dict(REF_SETTINGS, epochs=2), ['teacher'])
    assert 'measured at other settings' in other
    assert 'not found' in demo.reference_note(None, '/x/ref.json',
                                              REF_SETTINGS, ['teacher'])


def test_several_seeds_show_mean_and_std():
    rows = demo.summarize(_rows(('KD student', 0, 80.0),
                                ('KD student', 1, 84.0)))
    table = demo.format_table(rows)
    assert 'top-1 (test, mean ± std)' in table.splitlines()[0]
    assert f'| 82.00 ± {math.sqrt(8):.2f} | – |' in table


def test_committed_reference_is_for_the_demo_settings():
    """The committed file loads, is for the default demo's settings, and
    holds only measured rows (each over three seeds or more)."""
    reference = demo.load_reference(demo.REFERENCE)
    assert reference is not None
    assert reference['settings'] == demo.demo_settings(demo.parse_args([]))
    assert reference['command'].startswith('python tools/demo.py --seeds')
    names = [r.name for r in demo.ROWS]
    for name, row in reference['rows'].items():
        assert name in names
        top1 = row['top1']
        assert top1['n'] == len(top1['values']) == len(reference['seeds'])
        assert top1['n'] >= 3
        assert top1['mean'] == pytest.approx(statistics.mean(top1['values']))
        assert top1['std'] == pytest.approx(statistics.stdev(top1['values']))
        assert reference['date'] and reference['machine']


def test_reference_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit):
        demo.parse_args(['--write-reference', str(tmp_path / 'r.json'),
                         '--seeds', '0', '1'])
    assert 'needs three seeds or more' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        demo.parse_args(['--seeds', '0', '0', '1'])
    assert 'repeats a seed' in capsys.readouterr().err
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(dict(rows=[])))
    with pytest.raises(ValueError, match='not a demo reference file'):
        demo.load_reference(str(bad))
    assert demo.load_reference(str(tmp_path / 'none.json')) is None


@pytest.mark.slow
def test_seeds_write_a_reference_that_the_demo_prints(
        digits_root, tmp_path, capsys):
    work = str(tmp_path / 'demo')
    ref = str(tmp_path / 'ref.json')
    quick = ['--epochs', '1', '--share', '0.02', '--only', 'KD student',
             '--data-root', digits_root]
    results = demo.main(quick + ['--seeds', '0', '1', '2', '--work-dir',
                                 work, '--write-reference', ref,
                                 '--reference', str(tmp_path / 'no.json')])
    out = capsys.readouterr().out
    assert [(r['model'], r['seed']) for r in results] == [
        ('teacher', 0), ('KD student', 0), ('teacher', 1),
        ('KD student', 1), ('teacher', 2), ('KD student', 2)]
    # every seed in its own work dir; no teacher where the configs read it
    for seed in (0, 1, 2):
        assert osp.isfile(osp.join(work, f'seed{seed}',
                                   'resnet20_1xb64_digits', 'epoch_1.pth'))
    assert 'seeds 0 1 2 (mean ± sample std per row)' in out
    with open(ref) as f:
        reference = json.load(f)
    assert reference['seeds'] == [0, 1, 2]
    assert reference['command'].startswith(
        'python tools/demo.py --epochs 1 --share 0.02')
    assert reference['settings'] == dict(share_images=29, student_epochs=60,
                                         epochs=1)
    assert reference['machine']['cpus'] >= 1 and reference['date']
    for model in ('teacher', 'KD student'):
        values = [r['top1'] for r in results if r['model'] == model]
        top1 = reference['rows'][model]['top1']
        assert top1['values'] == values and top1['n'] == 3
        assert top1['mean'] == pytest.approx(statistics.mean(values))
        assert top1['std'] == pytest.approx(statistics.stdev(values))
        # the multi-seed table prints that mean ± std itself
        assert f"| {statistics.mean(values):.2f} ± " \
            f"{statistics.stdev(values):.2f} |" in out

    # one seed at the same settings: the reference spread beside each row
    one = str(tmp_path / 'one')
    results = demo.main(quick + ['--work-dir', one, '--reference', ref])
    out = capsys.readouterr().out
    for model in ('teacher', 'KD student'):
        top1 = reference['rows'][model]['top1']
        row = next(r for r in results if r['model'] == model)
        assert (f"| {row['top1']:.2f} | {top1['mean']:.2f} ± "
                f"{top1['std']:.2f} (n=3) |") in out
    assert 'over seeds 0 1 2 of the whole demo' in out
    assert f"by `{reference['command']}`" in out

    # a reference without a row: the demo says so
    del reference['rows']['KD student']
    with open(ref, 'w') as f:
        json.dump(reference, f)
    demo.main(quick + ['--work-dir', str(tmp_path / 'two'), '--reference',
                       ref])
    out = capsys.readouterr().out
    assert '| not measured |' in out
    assert 'no measurement for: KD student' in out
