# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of tools/analysis/compare_baselines.py.

The pure parts (stages, summary, table, chart) on hand-made data, and one
short end-to-end run (``slow``): kd and the two-stage ab, 2 seeds, 1 epoch
on 64 training digits.
"""
import importlib.util
import json
import math
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def _load_tool():
    path = osp.join(REPO_ROOT, 'tools', 'analysis', 'compare_baselines.py')
    spec = importlib.util.spec_from_file_location('_compare_baselines', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _load_tool()


def _run(method, seed, top1, seconds=10.0, configs=None):
    return dict(
        method=method,
        seed=seed,
        top1=top1,
        train_seconds=seconds,
        configs=configs or [f'configs/x/{method}_digits.py'])


HAND_RUNS = [
    _run('nst', 0, 90.0, 20.0),
    _run('kd', 0, 95.0, 12.0),
    _run('vanilla', 0, 91.0, 5.0),
    _run('kd', 1, 96.0, 14.0),
    _run('teacher', 0, 99.0, 30.0),
    _run('kd', 2, 98.0, 16.0),
    _run('vanilla', 1, 93.0, 7.0),
    _run('at', 0, 94.0, None),
]


def test_summarize_mean_and_sample_std():
    rows = compare.summarize(HAND_RUNS)
    by = {r['method']: r for r in rows}
    # kd: 95, 96, 98 -> mean 289 / 3; deviations -1/3, -4/3, 5/3 (x3:
    # -1, -4, 5) -> sum of squares 42 / 9 = 14/3; ddof=1: / 2 = 7/3
    assert by['kd']['mean'] == pytest.approx(289 / 3)
    assert by['kd']['std'] == pytest.approx(math.sqrt(7 / 3))
    assert by['kd']['n'] == 3
    assert by['kd']['seeds'] == [0, 1, 2]
    assert by['kd']['train_seconds'] == pytest.approx(14.0)
    # vanilla: 91, 93 -> mean 92, sample std sqrt(((-1)^2 + 1^2) / 1)
    assert by['vanilla']['mean'] == pytest.approx(92.0)
    assert by['vanilla']['std'] == pytest.approx(math.sqrt(2.0))
    # one run: no std
    assert by['nst']['std'] is None and by['nst']['n'] == 1
    assert by['teacher']['std'] is None
    # no train time recorded (e.g. a given checkpoint)
    assert by['at']['train_seconds'] is None
    assert by['kd']['configs'] == ['configs/x/kd_digits.py']


def test_summarize_order():
    rows = compare.summarize(HAND_RUNS)
    assert [r['method']
            for r in rows] == ['teacher', 'vanilla', 'at', 'kd', 'nst']


def test_format_markdown_rows_and_order():
    rows = compare.summarize(HAND_RUNS)
    table = compare.format_markdown(rows).splitlines()
    assert table[0].startswith('| method | top-1')
    assert set(table[1]) <= set('|-:')
    body = table[2:]
    assert [line.split('|')[1].strip()
            for line in body] == ['teacher', 'vanilla', 'at', 'kd', 'nst']
    kd = body[3].split('|')
    assert kd[2].strip() == f'{289 / 3:.2f} ± {math.sqrt(7 / 3):.2f}'
    assert kd[3].strip() == '3'
    assert kd[4].strip() == '14 s'
    assert kd[5].strip() == '`kd_digits`'
    assert body[1].split('|')[2].strip() == '92.00 ± 1.41'
    # a single seed has no std, a missing train time shows as a dash
    assert body[4].split('|')[2].strip() == '90.00 ± –'
    assert body[2].split('|')[4].strip() == '–'


def test_format_markdown_two_stage_configs():
    rows = compare.summarize([
        _run(
            'ab',
            0,
            80.0,
            configs=['a/ab_digits_init.py', 'a/ab_digits_train.py'])
    ])
    line = compare.format_markdown(rows).splitlines()[-1]
    assert '`ab_digits_init`, `ab_digits_train`' in line


def test_plot_writes_png(tmp_path):
    path = str(tmp_path / 'chart.png')
    compare.plot(compare.summarize(HAND_RUNS), path, seeds=3, epochs='30')
    with open(path, 'rb') as f:
        assert f.read(8) == PNG_MAGIC


def test_stages_for():
    ft = compare.stages_for('ft')
    assert [osp.basename(p) for p in ft] == [
        'ft_stage3_resnet20_resnet8_1xb64_digits_pretrain.py',
        'ft_stage3_resnet20_resnet8_1xb64_digits_train.py'
    ]
    ab = compare.stages_for('ab')
    assert [osp.basename(p).rsplit('_', 1)[-1]
            for p in ab] == ['init.py', 'train.py']
    kd = compare.stages_for('kd')
    assert [osp.basename(p)
            for p in kd] == ['kd_logits_resnet20_resnet8_1xb64_digits.py']
    assert all(osp.isfile(p) for p in ft + ab + kd)


def test_available_methods():
    methods = compare.available_methods()
    assert {'kd', 'nst', 'ab', 'ft', 'fsp'} <= set(methods)
    assert methods == sorted(methods)
    for method in methods:
        assert compare.stages_for(method)


def test_unknown_method():
    with pytest.raises(ValueError, match='unknown method') as info:
        compare.stages_for('no_such_method')
    # the message lists the available methods
    assert 'kd' in str(info.value) and 'nst' in str(info.value)
    with pytest.raises(ValueError, match='unknown method'):
        compare.main(['--methods', 'kd', 'no_such_method'])


def test_method_without_digits_config(tmp_path):
    (tmp_path / 'foo').mkdir()
    (tmp_path / 'foo' / 'foo_resnet32x4_cifar100.py').write_text('')
    (tmp_path / 'bar').mkdir()
    (tmp_path / 'bar' / 'bar_digits.py').write_text('')
    with pytest.raises(ValueError, match='no digits config'):
        compare.stages_for('foo', root=str(tmp_path))
    assert compare.available_methods(str(tmp_path)) == ['bar']
    with pytest.raises(ValueError, match='available.*bar'):
        compare.stages_for('baz', root=str(tmp_path))


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
    runs = [r for r in saved['runs'] if r['method'] != 'teacher']
    assert sorted((r['method'], r['seed']) for r in runs) == [('ab', 0),
                                                              ('ab', 1),
                                                              ('kd', 0),
                                                              ('kd', 1),
                                                              ('vanilla', 0),
                                                              ('vanilla', 1)]
    for run in runs:
        assert 0.0 <= run['top1'] <= 100.0
        assert run['train_seconds'] > 0
        assert run['epochs'] == [1] * len(run['configs'])
    (teacher, ) = [r for r in saved['runs'] if r['method'] == 'teacher']
    assert teacher['load_from'] == digits_teacher_ckpt
    assert saved['settings']['seeds'] == [0, 1]

    # ab: stage 2 started from the checkpoint stage 1 wrote, per seed
    for run in (r for r in runs if r['method'] == 'ab'):
        first, second = run['stages']
        assert first['config'].endswith('_digits_init.py')
        assert second['config'].endswith('_digits_train.py')
        assert first['load_from'] is None
        assert second['load_from'] == first['checkpoint']
        assert osp.isfile(second['load_from'])
        assert f"seed{run['seed']}" in second['load_from']
        assert osp.basename(second['load_from']) == 'epoch_1.pth'

    with open(osp.join(work, 'results.md')) as f:
        md = f.read()
    lines = [line for line in md.splitlines() if line.startswith('| ')]
    assert [line.split('|')[1].strip()
            for line in lines[1:]] == ['teacher', 'vanilla', 'ab', 'kd']
    for line in lines[2:]:
        assert '±' in line and '| 2 |' in line

    with open(osp.join(work, 'results.png'), 'rb') as f:
        assert f.read(8) == PNG_MAGIC
    out = capsys.readouterr().out
    assert out.count('[compare] ') == 7
    assert '| kd |' in out
