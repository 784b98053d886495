# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/wcord_lambda_sweep.py: each lambda_1 reaches the loss it
names, and the table is the mean of the runs."""
import glob
import importlib.util
import json
import os.path as osp

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


@pytest.mark.slow
def test_sweep_runs_each_lambda(tmp_path, digits_root):
    tool = _load_tool()
    work = str(tmp_path / 'sweep')
    rows = tool.main([
        '--lambdas', '0', '0.8', '--seeds', '0', '--epochs', '1',
        '--num-train', '64', '--work-dir', work, '--data-root', digits_root
    ])
    with open(osp.join(work, 'results.json')) as f:
        results = json.load(f)
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
