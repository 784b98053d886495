# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of tools/analysis/compare_baselines.py.

What it runs (read from model-index.yml), the summary, table and chart on
hand-made runs, and one short end-to-end run (``slow``): kd and the
two-stage ab, 2 seeds, 1 epoch on 64 training digits.
"""
import json
import math
import os.path as osp
import statistics

import numpy as np
import pytest
from kd_test_utils import load_tool

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEACHER = 'configs/teachers/resnet20_1xb64_digits.py'
STUDENT = 'configs/teachers/resnet8_1xb64_digits.py'

compare = load_tool('analysis/compare_baselines.py')


def _run(method, seed, top1, seconds=10.0):
    return dict(
        method=method,
        seed=seed,
        top1=top1,
        train_seconds=seconds,
        configs=[f'configs/x/{method}_digits.py'])


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


def test_digits_methods_of_the_model_index():
    methods = compare.digits_methods()
    assert {'kd', 'nst', 'ab', 'ft', 'fsp', 'crd', 'quest'} <= set(methods)
    assert list(methods) == sorted(methods)
    assert [osp.basename(c) for c in methods['kd']['configs']
            ] == ['kd_logits_resnet20_resnet8_1xb64_digits.py']
    # two stages: the first found through the second's load_from
    assert [osp.basename(c) for c in methods['ft']['configs']] == [
        'ft_stage3_resnet20_resnet8_1xb64_digits_pretrain.py',
        'ft_stage3_resnet20_resnet8_1xb64_digits_train.py'
    ]
    assert [c.rsplit('_', 1)[-1]
            for c in methods['ab']['configs']] == ['init.py', 'train.py']
    for method in methods.values():
        assert all(osp.isfile(c) for c in method['configs'])
        assert (method['teacher'], method['student']) == (TEACHER, STUDENT)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_digits_methods_reads_imported_metafiles(tmp_path):
    """Only models with a Digits result and a teacher count."""
    _write(tmp_path / 'configs' / 'm' / 'a.py', '')
    _write(tmp_path / 'configs' / 'm' / 'b.py',
           "load_from = 'work_dirs/a/epoch_3.pth'\n")
    _write(tmp_path / 'model-index.yml', 'Import:\n  - configs/m/meta.yml\n')
    meta = {'Teacher': {'Config': 't.py'}, 'Student': {'Config': 's.py'}}
    models = [
        dict(
            Name='b',
            Config='configs/m/b.py',
            Metadata=meta,
            Results=[dict(Dataset='Digits')],
            **{'In Collection': 'MyKD'}),
        dict(
            Name='c',
            Config='configs/m/c.py',
            Metadata=meta,
            Results=[dict(Dataset='CIFAR-100')],
            **{'In Collection': 'Other'}),
        dict(
            Name='t',
            Config='configs/m/t.py',
            Metadata={},
            Results=[dict(Dataset='Digits')],
            **{'In Collection': 'Zoo'}),
    ]
    _write(tmp_path / 'configs' / 'm' / 'meta.yml',
           json.dumps(dict(Models=models)))  # JSON is YAML
    methods = compare.digits_methods(str(tmp_path / 'model-index.yml'))
    assert methods == {
        'mykd':
        dict(
            configs=[
                str(tmp_path / 'configs' / 'm' / 'a.py'),
                str(tmp_path / 'configs' / 'm' / 'b.py')
            ],
            teacher='t.py',
            student='s.py')
    }


def test_first_stage_missing(tmp_path):
    _write(tmp_path / 'b.py', "load_from = 'work_dirs/a/epoch_3.pth'\n")
    with pytest.raises(ValueError, match=r'a\.py does not exist'):
        compare.first_stages(str(tmp_path / 'b.py'))


def test_unknown_method():
    with pytest.raises(ValueError, match='unknown method') as info:
        compare.main(['--methods', 'kd', 'no_such_method'])
    assert 'no_such_method' in str(info.value) and 'nst' in str(info.value)


def test_help_gives_defaults_example_and_run_time(capsys):
    with pytest.raises(SystemExit):
        compare.parse_args(['--help'])
    text = capsys.readouterr().out
    assert 'seeds 0 1 2' in text and 'about an hour' in text
    assert '--methods kd ab' in text


def test_summarize_mean_and_sample_std():
    by = {r['method']: r for r in compare.summarize(HAND_RUNS)}
    # kd: 95, 96, 98 -> mean 289 / 3; deviations -1/3, -4/3, 5/3 ->
    # squares sum to 42 / 9 = 14/3; ddof=1: / 2 = 7/3
    assert by['kd']['mean'] == pytest.approx(289 / 3)
    assert by['kd']['std'] == pytest.approx(math.sqrt(7 / 3))
    assert by['kd']['n'] == 3
    assert by['kd']['train_seconds'] == pytest.approx(14.0)
    # vanilla: 91, 93 -> mean 92, sample std sqrt(2)
    assert by['vanilla']['mean'] == pytest.approx(92.0)
    assert by['vanilla']['std'] == pytest.approx(math.sqrt(2.0))
    assert by['nst']['std'] is None and by['nst']['n'] == 1
    assert by['at']['train_seconds'] is None
    assert [r['method'] for r in compare.summarize(HAND_RUNS)
            ] == ['teacher', 'vanilla', 'at', 'kd', 'nst']


def test_format_markdown():
    table = compare.format_markdown(compare.summarize(HAND_RUNS))
    body = [line.split('|')[1:-1] for line in table.splitlines()[2:]]
    cells = {row[0].strip(): [c.strip() for c in row[1:]] for row in body}
    assert list(cells) == ['teacher', 'vanilla', 'at', 'kd', 'nst']
    assert cells['kd'] == [
        f'{289 / 3:.2f} ± {math.sqrt(7 / 3):.2f}', '3', '14 s', '`kd_digits`'
    ]
    assert cells['vanilla'][0] == '92.00 ± 1.41'
    # a single seed has no std, a missing train time shows as a dash
    assert cells['nst'][0] == '90.00 ± –' and cells['at'][2] == '–'


def test_chart_bars_lines_and_image(tmp_path):
    from matplotlib.container import BarContainer
    from matplotlib.image import imread
    rows = compare.summarize(HAND_RUNS)
    fig = compare.chart(rows, 'title')
    (ax, ) = fig.axes
    # one bar per method, teacher and vanilla as horizontal lines
    (bars, ) = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [t.get_text() for t in ax.get_xticklabels()] == ['at', 'kd', 'nst']
    assert [p.get_height()
            for p in bars.patches] == pytest.approx([94.0, 289 / 3, 90.0])
    segments = bars.errorbar.lines[2][0].get_segments()
    assert [s[1][1] - s[0][1] for s in segments
            ] == pytest.approx([0.0, 2 * math.sqrt(7 / 3), 0.0])
    lines = {
        ln.get_label(): ln.get_ydata()[0]
        for ln in ax.get_lines() if ln.get_label() in ('teacher', 'vanilla')
    }
    assert lines == {'teacher': 99.0, 'vanilla': pytest.approx(92.0)}
    path = tmp_path / 'chart.png'
    fig.savefig(path, dpi=100)
    # 6 x 4.5 inches (3 bars: the minimum width) at 100 dpi
    assert imread(path).shape[:2] == (450, 600)


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
    assert out.count('[compare] ') == 6 and '| kd |' in out
