# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of tools/analysis/compare_baselines.py.

Its options and short end-to-end runs (``slow``; the runs, sweeps and
tables it is made of are tested in tests/test_analysis/):
kd and the two-stage ab on the test split; the demo's four methods (KD,
QuEST, WCoRD, SSKD) on a validation split; a sweep of KD and SSKD.
"""
import json
import os.path as osp
import statistics

import numpy as np
import pytest
from kd_test_utils import KD_WEIGHT, load_tool

compare = load_tool('analysis/compare_baselines.py')


def test_val_and_num_train_must_fit_the_training_split(capsys):
    for argv, flag in ((['--val', '287', '--num-train',
                         '1152'], '--num-train 1152'),
                       (['--val', '287', '--teacher-num-train',
                         '1200'], '--teacher-num-train 1200')):
        with pytest.raises(SystemExit):
            compare.parse_args(argv)
        err = capsys.readouterr().err
        assert f'{flag} + --val 287 = ' in err and '1438 training' in err
    with pytest.raises(SystemExit):
        compare.parse_args(['--val', '1438'])
    assert 'leaves no training image' in capsys.readouterr().err
    args = compare.parse_args(['--val', '287', '--num-train', '1151'])
    assert (args.val, args.num_train, args.sweep) == (287, 1151, {})
    with pytest.raises(SystemExit):
        compare.parse_args(['--sweep', 'k'])
    assert 'expected KEY=V1,V2' in capsys.readouterr().err


def test_unknown_method():
    with pytest.raises(ValueError, match='unknown method') as info:
        compare.main(['--methods', 'kd', 'no_such_method'])
    assert 'no_such_method' in str(info.value) and 'nst' in str(info.value)


def test_help_gives_defaults_example_and_run_time(capsys):
    with pytest.raises(SystemExit):
        compare.parse_args(['--help'])
    text = capsys.readouterr().out
    assert 'seeds 0 1 2' in text and 'three and a half hours' in text
    assert '--methods kd ab' in text and '--teacher-epochs 1' in text
    assert '--val 287 --num-train 144 --epochs 60' in text


@pytest.mark.slow
def test_end_to_end(digits_root, digits_teacher_ckpt, tmp_path, capsys):
    work = str(tmp_path / 'compare')
    rows = compare.main([
        '--methods', 'kd', 'ab', '--seeds', '0', '1', '--epochs', '1',
        '--num-train', '64', '--teacher-ckpt', digits_teacher_ckpt,
        '--work-dir', work, '--data-root', digits_root
    ])
    assert [r['method'] for r in rows] == ['teacher', 'vanilla', 'ab', 'kd']
    with open(osp.join(work, 'results.json')) as f:
        saved = json.load(f)
    runs = saved['runs']
    assert runs[0]['method'] == 'teacher' and runs[0]['train_seconds'] is None
    assert runs[0]['stages'][0]['checkpoint'] == digits_teacher_ckpt
    assert [(r['method'], r['seed'])
            for r in runs[1:]] == [('vanilla', 0), ('kd', 0), ('ab', 0),
                                   ('vanilla', 1), ('kd', 1), ('ab', 1)]
    # ab: stage 2 started from the checkpoint stage 1 wrote, per seed
    for run in (r for r in runs if r['method'] == 'ab'):
        first, second = run['stages']
        assert first['config'].endswith('_digits_init.py')
        assert first['load_from'] is None
        assert second['load_from'] == first['checkpoint']
        assert osp.isfile(second['load_from'])
        assert f"seed{run['seed']}" in second['load_from']

    # the table's numbers are the mean and sample std of the seeds' top-1
    with open(osp.join(work, 'results.md')) as f:
        body = [line for line in f if line.startswith('| ')][1:]
    cells = {line.split('|')[1].strip(): line.split('|')[2] for line in body}
    assert list(cells) == ['teacher', 'vanilla', 'ab', 'kd']
    for method in ('vanilla', 'ab', 'kd'):
        top1 = [r['top1'] for r in runs if r['method'] == method]
        assert len(top1) == 2 and all(0 <= t <= 100 for t in top1)
        assert cells[method].strip() == (f'{statistics.mean(top1):.2f} ± '
                                         f'{statistics.stdev(top1):.2f}')
    assert cells['teacher'].strip() == f"{runs[0]['top1']:.2f} ± –"

    from matplotlib.image import imread
    image = imread(osp.join(work, 'results.png'))
    assert image.shape[:2] == (450, 600)
    # not blank: bars, lines and text
    assert np.unique(image.reshape(-1, image.shape[2]), axis=0).shape[0] > 10
    out = capsys.readouterr().out
    # the teacher's line, then one per run
    assert out.count('[compare] ') == 7 and '| kd |' in out
    assert '[compare] teacher: top-1 (test)' in out
    assert all(r['eval_images'] == 359 for r in runs)
    assert saved['settings']['split'] == 'test'


def _load_results(work):
    with open(osp.join(work, 'results.json')) as f:
        return json.load(f)


@pytest.mark.slow
def test_demo_methods_on_a_validation_split(digits_root, digits_teacher_ckpt,
                                            tmp_path, capsys):
    """KD, QuEST, WCoRD and SSKD (the demo's methods) run on the digits,
    trained before and evaluated on the last 100 training images."""
    work = str(tmp_path / 'val')
    rows = compare.main([
        '--methods', 'kd', 'quest', 'wcord', 'sskd', '--seeds', '0', '1',
        '--epochs', '1', '--num-train', '48', '--teacher-epochs', '1',
        '--teacher-num-train', '64', '--val', '100', '--teacher-ckpt',
        digits_teacher_ckpt, '--work-dir', work, '--data-root', digits_root
    ])
    assert [r['method'] for r in rows
            ] == ['teacher', 'vanilla', 'kd', 'quest', 'sskd', 'wcord']
    saved = _load_results(work)
    assert saved['settings']['split'] == 'val'
    assert saved['settings']['val_images'] == [1338, 1438]
    assert sum(saved['settings']['val_class_counts']) == 100
    runs = saved['runs']
    assert len(runs) == 1 + 2 * 5
    # every run (the given teacher too) evaluated on the 100 held-out
    # images, not on the 359 test images
    assert all(r['eval_images'] == 100 for r in runs)
    for run in runs[1:]:
        assert [s['train_images']
                for s in run['stages']][-1] == 48, run['method']
    # the configs the runs wrote: trained on the first 48 (SSKD's stage 1
    # on the teacher's 64), evaluated on images 1338-1437 of the
    # training split
    from mmengine.config import Config
    for run in runs[1:]:
        for stage in run['stages']:
            cfg = Config.fromfile(
                osp.join(
                    osp.dirname(stage['checkpoint']),
                    osp.basename(stage['config'])))
            train = cfg.train_dataloader.dataset
            test = cfg.test_dataloader.dataset
            assert train.indices == list(range(stage['train_images']))
            assert (test.split, test.indices) == ('train',
                                                  list(range(1338, 1438)))
            assert max(train.indices) < min(test.indices)
    # SSKD: stage 2 read the head stage 1 had just written, per seed
    for run in (r for r in runs if r['method'] == 'sskd'):
        first, second = run['stages']
        assert first['config'].endswith('sskd_stage1_resnet20_1xb64_digits'
                                        '.py')
        assert first['train_images'] == 64 and first['epochs'] == 1
        assert second['link'] == 'model.teacher_ss_ckpt'
        assert second['teacher_ss_ckpt'] == first['checkpoint']
        assert second['load_from'] is None
        assert osp.isfile(first['checkpoint'])
        assert f"seed{run['seed']}" in first['checkpoint']
    with open(osp.join(work, 'results.md')) as f:
        text = f.read()
    assert '| method | top-1 (val, %) |' in text
    assert 'last 100 training images (validation' in text
    out = capsys.readouterr().out
    assert out.count('top-1 (val)') == 1 + 2 * 5


@pytest.mark.slow
def test_sweep_rows_and_stage_reuse(digits_root, digits_teacher_ckpt,
                                    tmp_path):
    work = str(tmp_path / 'sweep')
    rows = compare.main([
        '--methods', 'kd', 'sskd', '--sweep', f'{KD_WEIGHT}=0.2,0.7',
        '--seeds', '0', '1', '--epochs', '1', '--num-train', '32',
        '--teacher-epochs', '1', '--teacher-num-train', '32', '--val', '60',
        '--teacher-ckpt', digits_teacher_ckpt, '--work-dir', work,
        '--data-root', digits_root
    ])
    assert [r['label'] for r in rows] == [
        'teacher', 'vanilla', 'kd (loss_weight=0.2)', 'kd (loss_weight=0.7)',
        'sskd (loss_weight=0.2)', 'sskd (loss_weight=0.7)'
    ]
    assert all(r['n'] == 2 for r in rows[1:])
    saved = _load_results(work)
    assert saved['settings']['points'] == [{KD_WEIGHT: 0.2}, {KD_WEIGHT: 0.7}]
    runs = saved['runs']
    # each row's mean/std are those of its own runs
    for row in rows[2:]:
        top1 = [
            r['top1'] for r in runs
            if r['method'] == row['method'] and r['point'] == row['point']
        ]
        assert row['mean'] == pytest.approx(statistics.mean(top1))
        assert row['std'] == pytest.approx(statistics.stdev(top1))
    # one work dir per point, the swept value in the config that ran
    from mmengine.config import Config
    last_dirs = set()
    for run in runs[1:]:
        last = run['stages'][-1]
        last_dirs.add(osp.dirname(last['checkpoint']))
        if run['method'] == 'vanilla':
            assert run['point'] == {}  # not swept
            continue
        cfg = Config.fromfile(
            osp.join(
                osp.dirname(last['checkpoint']), osp.basename(last['config'])))
        assert cfg.model.distiller.distill_losses.loss_kd.loss_weight == \
            run['point'][KD_WEIGHT]
    assert len(last_dirs) == 2 * (1 + 2 + 2)  # per seed: vanilla + 4
    # SSKD's stage 1 (unswept) trains once per seed; both points read it
    for seed in (0, 1):
        sskd = [r for r in runs if r['method'] == 'sskd' and r['seed'] == seed]
        firsts = [r['stages'][0] for r in sskd]
        assert [f['reused'] for f in firsts] == [False, True]
        assert len({f['checkpoint'] for f in firsts}) == 1
        assert {r['stages'][1]['teacher_ss_ckpt']
                for r in sskd} == {firsts[0]['checkpoint']}
