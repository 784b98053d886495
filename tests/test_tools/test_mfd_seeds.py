# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/mfd_seeds.py: its methods (the MFD table's), summary and
table on hand-made runs, the validation split and sweeps in its configs,
and short runs (slow): every method for one epoch on the test split, and
vanilla and a sweep of MFD's weight on a validation split."""
import glob
import json
import os.path as osp
import statistics

import pytest
import torch
import yaml
from kd_test_utils import load_tool
from mmengine.config import Config

seeds = load_tool('analysis/mfd_seeds.py')
MFD_WEIGHT = 'model.distiller.distill_losses.loss_mfd.loss_weight'
# the rows of the MFD paper's tables
TABLE = ('vanilla', 'hkd', 'fitnet', 'at', 'nst', 'ss', 'ss_hkd',
         'ss_fitnet', 'ad', 'ad_hkd', 'ad_fitnet', 'mfd')


def _run(method, seed, top1, deo_m, deo_a, point=None):
    return dict(method=method, seed=seed, top1=top1, DEO_M=deo_m,
                DEO_A=deo_a, config=f'configs/mfd/{method}_x.py',
                point=point or {})


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
    assert mfd['seeds'] == [0, 1]
    assert rows[0]['top1'] == (90.0, None) and rows[0]['n'] == 1
    table = seeds.format_markdown(rows).splitlines()
    assert table[0].startswith('| method | top-1 (test, %) | DEO_M (%) |')
    assert table[2] == '| teacher | 90.00 | 20.00 | 5.00 | 1 | `teacher_x` |'
    assert table[4] == ('| mfd | 82.00 ± 2.83 | 12.00 ± 2.83 | 3.00 ± 1.41 '
                        '| 2 | `mfd_x` |')
    assert seeds.format_markdown(rows, 'val').startswith(
        '| method | top-1 (val, %) |')


def test_summary_of_sweep_points():
    runs = [
        _run('mfd', s, 80.0 + s + 10 * (w == 3), 10.0, 4.0,
             {MFD_WEIGHT: w}) for s in (0, 1) for w in (0.5, 3)
    ] + [_run('vanilla', 0, 85.0, 30.0, 6.0)]
    rows = seeds.summarize(runs)
    assert [r['label'] for r in rows] == [
        'vanilla', 'mfd (loss_weight=0.5)', 'mfd (loss_weight=3)']
    assert rows[1]['top1'] == (80.5, statistics.stdev([80.0, 81.0]))
    assert rows[2]['top1'][0] == 90.5 and rows[2]['n'] == 2
    assert rows[2]['point'] == {MFD_WEIGHT: 3}


def test_the_methods_are_the_mfd_table_on_digits_s():
    assert tuple(m for m in seeds.CONFIGS if m != 'teacher') == TABLE
    for name in seeds.CONFIGS.values():
        assert osp.isfile(osp.join(seeds.MFD, name)), name
    # every DigitsS model of the metafile is a method here, by its Method
    with open(osp.join(seeds.MFD, 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    by_config = {
        osp.basename(m['Config']): m['Metadata']['Method']
        for m in models if m['Config'].endswith('_digits_s.py')
    }
    configs = {c: k for k, c in seeds.CONFIGS.items() if k != 'teacher'}
    assert set(by_config) == set(configs)
    for config, method in by_config.items():
        expected = 'vanilla' if method == 'Teacher' else method.lower(
        ).replace('+', '_')
        assert configs[config] == expected
    assert seeds.parse_args([]).methods == list(TABLE)


def test_val_and_num_train_must_fit(capsys):
    with pytest.raises(SystemExit):
        seeds.parse_args(['--val', '287', '--num-train', '1200'])
    err = capsys.readouterr().err
    assert '--num-train 1200 + --val 287 = 1487 exceeds the 1438' in err
    with pytest.raises(SystemExit):
        seeds.parse_args(['--methods', 'ss+hkd'])
    assert 'invalid choice' in capsys.readouterr().err


def test_validation_split_in_the_run_config(digits_root, tmp_path):
    """With --val every epoch validates on the held-out digits (both
    versions), which the training part excludes, and the run reports on
    them; without it validation is off and the test split is used."""
    cfg = seeds.make_cfg('mfd', 4, str(tmp_path), val=287,
                         data_root=digits_root, epochs=3, num_train=None)
    train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    assert (train.split, train.holdout, train.seed) == ('train', 287, 4)
    assert (val.type, val.split, val.holdout) == ('DigitsS', 'val', 287)
    assert val.data_root == digits_root
    assert cfg.test_dataloader.dataset == val
    assert cfg.val_evaluator.type == 'mmpretrain.FairnessMetric'
    assert cfg.val_cfg.type == 'mmrazor.SingleTeacherDistillValLoop'
    assert cfg.train_cfg.val_interval == 1
    # the plateau reads the validation metric's loss
    assert cfg.param_scheduler.monitor == 'fairness/loss'
    plain = seeds.make_cfg('mfd', 4, str(tmp_path), data_root=digits_root,
                           epochs=3, num_train=None)
    assert plain.val_dataloader is None and plain.val_cfg is None
    assert plain.test_dataloader.dataset.split == 'test'
    assert 'holdout' not in plain.train_dataloader.dataset
    # the two-stage FitNet validates after its hint stage only
    fitnet = seeds.make_cfg('fitnet', 0, str(tmp_path), val=100,
                            data_root=digits_root, epochs=4, num_train=None)
    assert fitnet.train_cfg.max_epochs == 6
    assert fitnet.train_cfg.val_begin == 3
    # a sweep's point reaches the swept method's config
    swept = seeds.make_cfg('mfd', 0, str(tmp_path), data_root=digits_root,
                           epochs=1, num_train=None,
                           point={MFD_WEIGHT: 0.25}, point_dir='p0')
    assert swept.model.distiller.distill_losses.loss_mfd.loss_weight == 0.25
    assert swept.work_dir == osp.join(str(tmp_path), 'p0',
                                      'mfd_cifarnet_half_1xb128_digits_s')


def test_sweep_refuses_keys_a_method_lacks(digits_root, tmp_path):
    with pytest.raises(ValueError, match='hkd_cifarnet.*has no such key'):
        seeds.main(['--methods', 'mfd', 'hkd', '--sweep',
                    f'{MFD_WEIGHT}=1,2', '--work-dir', str(tmp_path),
                    '--data-root', digits_root])
    with pytest.raises(ValueError, match='no selected method to sweep'):
        seeds.main(['--methods', 'vanilla', '--sweep', 'a.b=1,2',
                    '--work-dir', str(tmp_path), '--data-root',
                    digits_root])


@pytest.mark.slow
def test_every_method_runs_one_epoch(digits_root, tmp_path):
    work = str(tmp_path / 'seeds')
    rows = seeds.main([
        '--seeds', '0', '--epochs', '1', '--num-train', '200',
        '--work-dir', work, '--data-root', digits_root
    ])
    assert [r['method'] for r in rows] == ['teacher', *TABLE]
    with open(osp.join(work, 'results.json')) as f:
        saved = json.load(f)
    runs = saved['runs']
    assert len(runs) == 1 + len(TABLE)
    assert all(0 <= r['DEO_A'] <= r['DEO_M'] <= 100 for r in runs)
    # the test split, 200 training digits; FitNet: a hint epoch first
    assert all(r['eval_samples'] == 718 for r in runs)
    assert all(r['train_images'] == 200 for r in runs)
    epochs = {r['method']: r['epochs'] for r in runs}
    assert epochs['fitnet'] == epochs['ss_fitnet'] == 2
    assert epochs['mfd'] == epochs['ad_fitnet'] == 1
    assert saved['settings']['split'] == 'test'
    with open(osp.join(work, 'results.md')) as f:
        text = f.read()
    assert '| ss_fitnet |' in text and 'metrics on the 718 test' in text


@pytest.mark.slow
def test_validation_sweep_of_mfd(digits_root, tmp_path, capsys):
    work = str(tmp_path / 'val')
    rows = seeds.main([
        '--methods', 'vanilla', 'mfd', '--sweep', f'{MFD_WEIGHT}=0.5,3',
        '--seeds', '0', '1', '--epochs', '2', '--num-train', '256',
        '--val', '100', '--work-dir', work, '--data-root', digits_root
    ])
    assert [r['label'] for r in rows] == [
        'teacher', 'vanilla', 'mfd (loss_weight=0.5)', 'mfd (loss_weight=3)']
    assert [r['n'] for r in rows] == [1, 2, 2, 2]
    with open(osp.join(work, 'results.json')) as f:
        saved = json.load(f)
    assert saved['settings']['split'] == 'val'
    assert saved['settings']['val_images'] == [1338, 1438]
    assert saved['settings']['points'] == [{MFD_WEIGHT: 0.5},
                                           {MFD_WEIGHT: 3}]
    runs = saved['runs']
    assert len(runs) == 1 + 2 * 3
    # evaluated on the 100 held-out digits in both versions
    assert all(r['eval_samples'] == 200 for r in runs)
    assert all(r['train_images'] == 256 for r in runs)
    for row in rows[2:]:
        top1 = [r['top1'] for r in runs if r['point'] == row['point']]
        assert row['top1'][0] == pytest.approx(statistics.mean(top1))
    mfd_dirs = {osp.dirname(r['checkpoint']) for r in runs
                if r['method'] == 'mfd'}
    assert len(mfd_dirs) == 4  # 2 seeds x 2 points
    for run in (r for r in runs if r['method'] == 'mfd'):
        folder = osp.dirname(run['checkpoint'])
        cfg = Config.fromfile(
            osp.join(folder, 'mfd_cifarnet_half_1xb128_digits_s.py'))
        assert cfg.model.distiller.distill_losses.loss_mfd.loss_weight == \
            run['point'][MFD_WEIGHT]
        assert cfg.val_dataloader.dataset.split == 'val'
        # the plateau stepped on the validation loss of epoch 1 (MMEngine
        # steps it on the validations before the last epoch)
        (scalars, ) = glob.glob(osp.join(folder, '*', 'vis_data',
                                         'scalars.json'))
        with open(scalars) as f:
            logs = [json.loads(line) for line in f]
        val_losses = [e['fairness/loss'] for e in logs
                      if 'fairness/loss' in e]
        assert len(val_losses) == 2
        ckpt = torch.load(run['checkpoint'], map_location='cpu',
                          weights_only=False)
        (plateau, ) = ckpt['param_schedulers']
        assert plateau['monitor'] == 'fairness/loss'
        assert plateau['best'] == pytest.approx(val_losses[0])
    out = capsys.readouterr().out
    assert out.count('top-1 (val)') == 2 * 3
