# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of tools/analysis/compare_baselines.py.

What it runs (read from model-index.yml; stage chains through load_from
and SSKD's teacher_ss_ckpt), sweeps, the validation split, the summary,
table and chart on hand-made runs, and short end-to-end runs (``slow``):
kd and the two-stage ab on the test split; the demo's four methods (KD,
QuEST, WCoRD, SSKD) on a validation split; a sweep of KD and SSKD.
"""
import json
import math
import os.path as osp
import re
import statistics

import numpy as np
import pytest
from kd_test_utils import load_tool

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEACHER = 'configs/teachers/resnet20_1xb64_digits.py'
STUDENT = 'configs/teachers/resnet8_1xb64_digits.py'

compare = load_tool('analysis/compare_baselines.py')
DEMO_METHODS = {
    'kd': 'configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py',
    'quest': 'configs/quest/quest_layer3_resnet20_resnet8_1xb64_digits.py',
    'wcord': 'configs/wcord/wcord_neck_resnet20_resnet8_1xb64_digits.py',
    'sskd': 'configs/sskd/sskd_resnet20_resnet8_1xb64_digits.py',
}
KD_WEIGHT = 'model.distiller.distill_losses.loss_kd.loss_weight'


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
    assert {'kd', 'nst', 'ab', 'ft', 'fsp', 'crd', 'quest', 'wcord',
            'sskd'} <= set(methods)
    assert list(methods) == sorted(methods)
    assert [osp.basename(c) for c in methods['kd']['configs']
            ] == ['kd_logits_resnet20_resnet8_1xb64_digits.py']
    # two stages: the first found through the second's load_from
    assert [osp.basename(c) for c in methods['ft']['configs']] == [
        'ft_stage3_resnet20_resnet8_1xb64_digits_pretrain.py',
        'ft_stage3_resnet20_resnet8_1xb64_digits_train.py'
    ]
    assert methods['ft']['links'] == [None, 'load_from']
    assert [c.rsplit('_', 1)[-1]
            for c in methods['ab']['configs']] == ['init.py', 'train.py']
    # SSKD: stage 1 (the teacher's head) found through teacher_ss_ckpt
    assert [osp.basename(c) for c in methods['sskd']['configs']] == [
        'sskd_stage1_resnet20_1xb64_digits.py',
        'sskd_resnet20_resnet8_1xb64_digits.py'
    ]
    assert methods['sskd']['links'] == [None, 'model.teacher_ss_ckpt']
    # a collection's further Digits models: named without the shared
    # suffix; the collection's name is its first model (the demo's)
    assert methods['wcord']['model'] == \
        'wcord_neck_resnet20_resnet8_1xb64_digits'
    assert methods['wcord+kd']['model'] == \
        'wcord+kd_neck_resnet20_resnet8_1xb64_digits'
    for task in ('rotation', 'jigsaw', 'exemplar'):
        assert osp.basename(methods[f'sskd_{task}']['configs'][0]) == \
            f'sskd_{task}_stage1_resnet20_1xb64_digits.py'
    # the demo's methods, with the demo's configs
    for key, config in DEMO_METHODS.items():
        assert compare._rel(methods[key]['configs'][-1]) == config
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
            links=[None, 'load_from'],
            model='b',
            teacher='t.py',
            student='s.py')
    }


def test_digits_methods_several_models_and_teacher_ss_chain(tmp_path):
    """A stage read through model.teacher_ss_ckpt is a first stage; the
    further Digits models of a collection are named apart."""
    folder = tmp_path / 'configs' / 'm'
    _write(folder / 'head_stage1.py', "model = dict(teacher_ckpt='t.pth')\n")
    _write(folder / 'ss_x_y_digits.py',
           "model = dict(teacher_ss_ckpt='work_dirs/head_stage1/"
           "epoch_10.pth')\n")
    _write(folder / 'ss_rot_x_y_digits.py', 'model = dict()\n')
    _write(tmp_path / 'model-index.yml', 'Import:\n  - configs/m/meta.yml\n')
    meta = {'Teacher': {'Config': 't.py'}, 'Student': {'Config': 's.py'}}
    models = [
        dict(Name=name, Config=f'configs/m/{name}.py', Metadata=meta,
             Results=[dict(Dataset='Digits')], **{'In Collection': 'SS'})
        for name in ('ss_x_y_digits', 'ss_rot_x_y_digits')
    ]
    _write(folder / 'meta.yml', json.dumps(dict(Models=models)))
    methods = compare.digits_methods(str(tmp_path / 'model-index.yml'))
    assert sorted(methods) == ['ss', 'ss_rot']
    assert methods['ss']['configs'] == [
        str(folder / 'head_stage1.py'), str(folder / 'ss_x_y_digits.py')]
    assert methods['ss']['links'] == [None, 'model.teacher_ss_ckpt']
    assert methods['ss_rot']['links'] == [None]


def test_method_keys():
    keys = compare._method_keys
    assert keys('KD', ['kd_a_digits']) == ['kd']
    assert keys('WCoRD', ['wcord_neck_r20_digits', 'wcord+kd_neck_r20_digits'
                          ]) == ['wcord', 'wcord+kd']
    assert keys('SSKD', ['sskd_r_digits', 'sskd_rotation_r_digits']) == [
        'sskd', 'sskd_rotation']
    # a key that would repeat the collection's is the model's whole name
    assert keys('KD', ['kd_x_digits', 'kd_digits']) == ['kd', 'kd_digits']


def test_first_stage_missing(tmp_path):
    _write(tmp_path / 'b.py', "load_from = 'work_dirs/a/epoch_3.pth'\n")
    with pytest.raises(ValueError, match=r'a\.py does not exist'):
        compare.first_stages(str(tmp_path / 'b.py'))


def test_teacher_ss_stage_missing_and_loop(tmp_path):
    _write(tmp_path / 'b.py',
           "model = dict(teacher_ss_ckpt='work_dirs/a/epoch_3.pth')\n")
    with pytest.raises(ValueError, match=r'model\.teacher_ss_ckpt=.*a\.py '
                       'does not exist'):
        compare.first_stages(str(tmp_path / 'b.py'))
    _write(tmp_path / 'a.py', "load_from = 'work_dirs/b/epoch_3.pth'\n")
    with pytest.raises(ValueError, match='in a loop'):
        compare.first_stages(str(tmp_path / 'b.py'))


def test_parse_sweep_grid_and_labels():
    sweep = compare.parse_sweep(
        [f'{KD_WEIGHT}=0.5,0.9', 'model.x.tau=[1,2],[3,4]', 'a.name=x,y'])
    assert sweep == {KD_WEIGHT: [0.5, 0.9], 'model.x.tau': [[1, 2], [3, 4]],
                     'a.name': ['x', 'y']}
    points = compare.grid_points(sweep)
    # the cross product, the first key slowest
    assert len(points) == 8
    assert points[0] == {KD_WEIGHT: 0.5, 'model.x.tau': [1, 2],
                         'a.name': 'x'}
    assert points[1]['a.name'] == 'y' and points[4][KD_WEIGHT] == 0.9
    assert compare.point_label(points[0]) == \
        'loss_weight=0.5, tau=[1, 2], name=x'
    # two keys sharing their last part are shown whole
    assert compare.point_label({'a.w': 1, 'b.w': 2}) == 'a.w=1, b.w=2'
    assert compare.grid_points({}) == [{}]
    dirs = {compare._point_dir(i, p) for i, p in enumerate(points)}
    assert len(dirs) == 8 and all('/' not in d for d in dirs)
    for bad in ('novalue', 'k=', '=1,2', 'k=1,,2'):
        with pytest.raises(ValueError, match='expected KEY=V1,V2'):
            compare.parse_sweep([bad])
    with pytest.raises(ValueError, match='given twice'):
        compare.parse_sweep(['k=1', 'k=2'])


QUEST_LAYER = ('model.distiller.student_recorders.quest.source+'
               'model.distiller.teacher_recorders.quest.source+'
               'model.distiller.connectors.quest_head.in_channels+'
               'model.distiller.distill_losses.loss_quest.feat_channels')


def test_joined_sweep_keys_change_together():
    """The layer a method distils and its channels: one axis."""
    sweep = compare.parse_sweep([
        f'{QUEST_LAYER}=(backbone.layer2,backbone.layer2,32,32),'
        '(backbone.layer3,backbone.layer3,64,64)',
        'model.distiller.distill_losses.loss_quest.loss_weight=1,2'
    ])
    assert len(compare.sweep_keys(sweep)) == 5
    points = compare.grid_points(sweep)
    assert len(points) == 4  # 2 layers x 2 weights, not 2^4 x 2
    first = points[0]
    assert first['model.distiller.student_recorders.quest.source'] == \
        first['model.distiller.teacher_recorders.quest.source'] == \
        'backbone.layer2'
    assert first['model.distiller.connectors.quest_head.in_channels'] == 32
    assert points[2]['model.distiller.distill_losses.loss_quest.'
                     'feat_channels'] == 64
    # a name=value repeated by joined keys is shown once
    assert compare.point_label(first) == (
        'source=backbone.layer2, in_channels=32, feat_channels=32, '
        'loss_weight=1')
    labels = {compare.point_label(p) for p in points}
    assert len(labels) == 4
    quest = osp.join(REPO_ROOT, DEMO_METHODS['quest'])
    compare.check_sweep_keys(sweep, [quest])
    cfg = compare.build_cfg(quest, '/tmp/unused', 'data/digits', seed=0,
                            options=first)
    assert cfg.model.distiller.teacher_recorders.quest.source == \
        'backbone.layer2'
    assert cfg.model.distiller.distill_losses.loss_quest.feat_channels == 32
    with pytest.raises(ValueError, match='each value is a tuple of 4'):
        compare.parse_sweep([f'{QUEST_LAYER}=(a,a,32),(b,b,64,64)'])
    with pytest.raises(ValueError, match='given twice'):
        compare.parse_sweep(['a.b+c.d=(1,2)', 'c.d=3'])


def test_sweep_key_must_exist_in_every_last_stage():
    kd = osp.join(REPO_ROOT, DEMO_METHODS['kd'])
    wcord = osp.join(REPO_ROOT, DEMO_METHODS['wcord'])
    compare.check_sweep_keys({KD_WEIGHT: [0.5]}, [kd])
    with pytest.raises(ValueError, match='wcord_neck.*has no such key'):
        compare.check_sweep_keys({KD_WEIGHT: [0.5]}, [kd, wcord])
    with pytest.raises(ValueError, match='loss_kdd'):
        compare.check_sweep_keys({KD_WEIGHT.replace('kd.', 'kdd.'): [1]},
                                 [kd])
    # list items by index
    quest = osp.join(REPO_ROOT, DEMO_METHODS['quest'])
    compare.check_sweep_keys({'custom_hooks.0.niter': [5]}, [quest])


def test_val_and_num_train_must_fit_the_training_split(capsys):
    for argv, flag in ((['--val', '287', '--num-train', '1152'],
                        '--num-train 1152'),
                       (['--val', '287', '--teacher-num-train', '1200'],
                        '--teacher-num-train 1200')):
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


def test_val_split_covers_every_class(digits_root):
    counts = compare.check_val_classes(digits_root, 287)
    assert sum(counts) == 287 and min(counts) >= 20
    # the last 5 training digits miss some classes
    from mmkd_plus.datasets.digits import read_digits_labels
    missing = sorted(set(range(10)) - set(read_digits_labels(digits_root)[
        -5:].tolist()))
    with pytest.raises(ValueError, match=re.escape(f'class(es) {missing}')):
        compare.check_val_classes(digits_root, 5)


def test_build_cfg_trains_before_and_evaluates_on_the_held_out(
        digits_root, tmp_path):
    cut = 1438 - 287
    cfg = compare.build_cfg(
        osp.join(REPO_ROOT, DEMO_METHODS['sskd']), str(tmp_path),
        digits_root, seed=3, epochs=2, num_train=list(range(143)),
        test_indices=list(range(cut, 1438)), options={KD_WEIGHT: 0.5})
    assert cfg.train_dataloader.dataset.indices == list(range(143))
    test = cfg.test_dataloader.dataset
    assert test.split == 'train' and test.indices == list(range(cut, 1438))
    assert test.data_root == digits_root
    # the test pipeline (no multi-view, no crop), validation off
    assert [t['type'] for t in test.pipeline] == ['PackInputs']
    assert cfg.val_dataloader is None and cfg.val_cfg is None
    assert cfg.model.distiller.distill_losses.loss_kd.loss_weight == 0.5
    assert cfg.train_cfg.max_epochs == 2 and cfg.randomness.seed == 3
    # disjoint: no training image is held out
    assert not set(cfg.train_dataloader.dataset.indices) & set(test.indices)


def test_a_swept_schedule_length_moves_t_max(digits_root, tmp_path):
    cfg = compare.build_cfg(
        osp.join(REPO_ROOT, DEMO_METHODS['kd']), str(tmp_path), digits_root,
        seed=0, epochs=60, options={'train_cfg.max_epochs': 40,
                                    'optim_wrapper.optimizer.lr': 0.01})
    assert cfg.train_cfg.max_epochs == 40
    assert cfg.param_scheduler.T_max == 40
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    # the only checkpoint is the last epoch's
    assert cfg.default_hooks.checkpoint.interval == 40


def test_set_epochs_keeps_the_hint_stage_in_proportion():
    from mmengine.config import Config
    cfg = Config(
        dict(
            train_cfg=dict(max_epochs=30, val_begin=11),
            param_scheduler=dict(type='ReduceOnPlateauLR'),
            custom_hooks=[
                dict(type='mmrazor.LinearLossWeightHook', begin=10),
                dict(type='mmrazor.HintStageHook', hint_epochs=10)
            ]))
    compare.set_epochs(cfg, 4)  # 10 hint + 20 -> 2 hint + 4
    assert cfg.train_cfg.max_epochs == 6 and cfg.train_cfg.val_begin == 3
    assert [h.get('begin', h.get('hint_epochs'))
            for h in cfg.custom_hooks] == [2, 2]
    compare.set_epochs(cfg, 1)  # at least one hint epoch
    assert cfg.train_cfg.max_epochs == 2 and cfg.custom_hooks[1][
        'hint_epochs'] == 1
    plain = Config(dict(train_cfg=dict(max_epochs=30),
                        param_scheduler=[dict(type='Cos', T_max=30)]))
    compare.set_epochs(plain, 5)
    assert plain.train_cfg.max_epochs == 5
    assert plain.param_scheduler[0].T_max == 5


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


def test_summarize_and_format_sweep_points():
    runs = [
        dict(_run('kd', seed, top1), point={KD_WEIGHT: weight})
        for seed, (weight, top1) in enumerate([(0.5, 90.0), (0.9, 94.0),
                                               (0.5, 92.0), (0.9, 96.0)])
    ] + [_run('vanilla', 0, 80.0)]
    rows = compare.summarize(runs)
    assert [r['label'] for r in rows] == [
        'vanilla', 'kd (loss_weight=0.5)', 'kd (loss_weight=0.9)']
    assert rows[1]['point'] == {KD_WEIGHT: 0.5}
    assert (rows[1]['mean'], rows[1]['n'], rows[1]['seeds']) == (91.0, 2,
                                                                 [0, 2])
    assert rows[2]['std'] == pytest.approx(statistics.stdev([94.0, 96.0]))
    table = compare.format_markdown(rows, 'val').splitlines()
    assert table[0].startswith('| method | top-1 (val, %) |')
    assert table[3].startswith('| kd (loss_weight=0.5) | 91.00 ± 1.41 | 2 |')


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
    # the teacher's line, then one per run
    assert out.count('[compare] ') == 7 and '| kd |' in out
    assert '[compare] teacher: top-1 (test)' in out
    assert all(r['eval_images'] == 359 for r in runs)
    assert saved['settings']['split'] == 'test'


def _load_results(work):
    with open(osp.join(work, 'results.json')) as f:
        return json.load(f)


@pytest.mark.slow
def test_demo_methods_on_a_validation_split(digits_root,
                                            digits_teacher_ckpt, tmp_path,
                                            capsys):
    """KD, QuEST, WCoRD and SSKD (the demo's methods) run on the digits,
    trained before and evaluated on the last 100 training images."""
    work = str(tmp_path / 'val')
    rows = compare.main([
        '--methods', 'kd', 'quest', 'wcord', 'sskd', '--seeds', '0', '1',
        '--epochs', '1', '--num-train', '48', '--teacher-epochs', '1',
        '--teacher-num-train', '64', '--val', '100', '--teacher-ckpt',
        digits_teacher_ckpt, '--work-dir', work, '--data-root', digits_root
    ])
    assert [r['method'] for r in rows] == [
        'teacher', 'vanilla', 'kd', 'quest', 'sskd', 'wcord']
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
        assert [s['train_images'] for s in run['stages']
                ][-1] == 48, run['method']
    # the configs the runs wrote: trained on the first 48 (SSKD's stage 1
    # on the teacher's 64), evaluated on images 1338-1437 of the
    # training split
    from mmengine.config import Config
    for run in runs[1:]:
        for stage in run['stages']:
            cfg = Config.fromfile(
                osp.join(osp.dirname(stage['checkpoint']),
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
        'teacher', 'vanilla', 'kd (loss_weight=0.2)',
        'kd (loss_weight=0.7)', 'sskd (loss_weight=0.2)',
        'sskd (loss_weight=0.7)'
    ]
    assert all(r['n'] == 2 for r in rows[1:])
    saved = _load_results(work)
    assert saved['settings']['points'] == [{KD_WEIGHT: 0.2},
                                           {KD_WEIGHT: 0.7}]
    runs = saved['runs']
    # each row's mean/std are those of its own runs
    for row in rows[2:]:
        top1 = [r['top1'] for r in runs
                if r['method'] == row['method'] and r['point'] == row[
                    'point']]
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
            osp.join(osp.dirname(last['checkpoint']),
                     osp.basename(last['config'])))
        assert cfg.model.distiller.distill_losses.loss_kd.loss_weight == \
            run['point'][KD_WEIGHT]
    assert len(last_dirs) == 2 * (1 + 2 + 2)  # per seed: vanilla + 4
    # SSKD's stage 1 (unswept) trains once per seed; both points read it
    for seed in (0, 1):
        sskd = [r for r in runs
                if r['method'] == 'sskd' and r['seed'] == seed]
        firsts = [r['stages'][0] for r in sskd]
        assert [f['reused'] for f in firsts] == [False, True]
        assert len({f['checkpoint'] for f in firsts}) == 1
        assert {r['stages'][1]['teacher_ss_ckpt'] for r in sskd} == {
            firsts[0]['checkpoint']}
