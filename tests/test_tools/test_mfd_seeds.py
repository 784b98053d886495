# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/mfd_seeds.py: its summary and table on hand-made runs,
and one short run (slow): vanilla and MFD, 2 seeds, 1 epoch."""
import json
import os.path as osp
import statistics

import pytest
from kd_test_utils import load_tool

seeds = load_tool('analysis/mfd_seeds.py')


def _run(method, seed, top1, deo_m, deo_a):
    return dict(method=method, seed=seed, top1=top1, DEO_M=deo_m,
                DEO_A=deo_a, config=f'configs/mfd/{method}_x.py')


def test_summary_and_table():
    runs = [
        _run('teacher', 0, 90.0, 20.0, 5.0),
        _run('mfd', 0, 80.0, 10.0, 4.0),
        _run('mfd', 1, 84.0, 14.0, 2.0),
        _run('vanilla', 0, 85.0, 30.0, 6.0),
    ]
    rows = seeds.summarize(runs)
    # the order of CONFIGS: teacher, vanilla, ..., mfd
    assert [r['method'] for r in rows] == ['teacher', 'vanilla', 'mfd']
    mfd = rows[2]
    assert mfd['top1'] == (82.0, statistics.stdev([80.0, 84.0]))
    assert mfd['DEO_A'] == (3.0, statistics.stdev([4.0, 2.0]))
    assert rows[0]['top1'] == (90.0, None) and rows[0]['n'] == 1
    table = seeds.format_markdown(rows).splitlines()
    assert table[0].startswith('| method | top-1 (%) | DEO_M (%) | DEO_A')
    assert table[2] == '| teacher | 90.00 | 20.00 | 5.00 | 1 | `teacher_x` |'
    assert table[4] == ('| mfd | 82.00 ± 2.83 | 12.00 ± 2.83 | 3.00 ± 1.41 '
                        '| 2 | `mfd_x` |')


def test_every_method_has_a_digits_config():
    for name in seeds.CONFIGS.values():
        assert osp.isfile(osp.join(seeds.MFD, name)), name


@pytest.mark.slow
def test_short_run_writes_the_table(digits_root, tmp_path):
    work = str(tmp_path / 'seeds')
    rows = seeds.main([
        '--seeds', '0', '1', '--epochs', '1', '--num-train', '256',
        '--methods', 'vanilla', 'mfd', '--work-dir', work, '--data-root',
        digits_root
    ])
    assert [r['method'] for r in rows] == ['teacher', 'vanilla', 'mfd']
    assert rows[2]['n'] == 2
    with open(osp.join(work, 'results.json')) as f:
        runs = json.load(f)['runs']
    assert len(runs) == 1 + 2 * 2
    assert all(0 <= r['DEO_A'] <= r['DEO_M'] <= 100 for r in runs)
    with open(osp.join(work, 'results.md')) as f:
        assert '| mfd |' in f.read()
