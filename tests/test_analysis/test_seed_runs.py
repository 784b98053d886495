# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus.analysis.seed_runs: the methods of model-index.yml and their
stage chains, a run's config (validation split, schedule length), and the
summary, table and chart of hand-made runs."""
import argparse
import json
import math
import os.path as osp
import re
import statistics

import pytest
from kd_test_utils import DEMO_METHODS
from kd_test_utils import DIGITS_STUDENT as STUDENT
from kd_test_utils import DIGITS_TEACHER as TEACHER
from kd_test_utils import KD_WEIGHT, REPO

import mmkd_plus.analysis as analysis
from mmkd_plus.analysis import seed_runs


def test_digits_methods_of_the_model_index():
    methods = analysis.digits_methods()
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
        assert analysis.rel_path(methods[key]['configs'][-1]) == config
    for method in methods.values():
        assert all(osp.isfile(c) for c in method['configs'])
        assert (method['teacher'], method['student']) == (TEACHER, STUDENT)


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
    methods = analysis.digits_methods(str(tmp_path / 'model-index.yml'))
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
    _write(
        folder / 'ss_x_y_digits.py',
        "model = dict(teacher_ss_ckpt='work_dirs/head_stage1/"
        "epoch_10.pth')\n")
    _write(folder / 'ss_rot_x_y_digits.py', 'model = dict()\n')
    _write(tmp_path / 'model-index.yml', 'Import:\n  - configs/m/meta.yml\n')
    meta = {'Teacher': {'Config': 't.py'}, 'Student': {'Config': 's.py'}}
    models = [
        dict(
            Name=name,
            Config=f'configs/m/{name}.py',
            Metadata=meta,
            Results=[dict(Dataset='Digits')],
            **{'In Collection': 'SS'})
        for name in ('ss_x_y_digits', 'ss_rot_x_y_digits')
    ]
    _write(folder / 'meta.yml', json.dumps(dict(Models=models)))
    methods = analysis.digits_methods(str(tmp_path / 'model-index.yml'))
    assert sorted(methods) == ['ss', 'ss_rot']
    assert methods['ss']['configs'] == [
        str(folder / 'head_stage1.py'),
        str(folder / 'ss_x_y_digits.py')
    ]
    assert methods['ss']['links'] == [None, 'model.teacher_ss_ckpt']
    assert methods['ss_rot']['links'] == [None]


def test_method_keys():
    keys = seed_runs._method_keys
    assert keys('KD', ['kd_a_digits']) == ['kd']
    assert keys('WCoRD',
                ['wcord_neck_r20_digits', 'wcord+kd_neck_r20_digits']) == [
                    'wcord', 'wcord+kd'
                ]
    assert keys('SSKD', ['sskd_r_digits', 'sskd_rotation_r_digits']) == [
        'sskd', 'sskd_rotation'
    ]
    # a key that would repeat the collection's is the model's whole name
    assert keys('KD', ['kd_x_digits', 'kd_digits']) == ['kd', 'kd_digits']


def test_first_stage_missing(tmp_path):
    _write(tmp_path / 'b.py', "load_from = 'work_dirs/a/epoch_3.pth'\n")
    with pytest.raises(ValueError, match=r'a\.py does not exist'):
        analysis.first_stages(str(tmp_path / 'b.py'))


def test_teacher_ss_stage_missing_and_loop(tmp_path):
    _write(tmp_path / 'b.py',
           "model = dict(teacher_ss_ckpt='work_dirs/a/epoch_3.pth')\n")
    with pytest.raises(
            ValueError, match=r'model\.teacher_ss_ckpt=.*a\.py '
            'does not exist'):
        analysis.first_stages(str(tmp_path / 'b.py'))
    _write(tmp_path / 'a.py', "load_from = 'work_dirs/b/epoch_3.pth'\n")
    with pytest.raises(ValueError, match='in a loop'):
        analysis.first_stages(str(tmp_path / 'b.py'))


def test_val_split_covers_every_class(digits_root):
    counts = analysis.check_val_classes(digits_root, 287)
    assert sum(counts) == 287 and min(counts) >= 20
    # the last 5 training digits miss some classes
    from mmkd_plus.datasets.digits import read_digits_labels
    missing = sorted(
        set(range(10)) - set(read_digits_labels(digits_root)[-5:].tolist()))
    with pytest.raises(ValueError, match=re.escape(f'class(es) {missing}')):
        analysis.check_val_classes(digits_root, 5)


def _checked(argv, num_train_options=('num_train', )):
    """``check_run_args`` on a seeds runner's options: the args, or the
    ``parser.error`` message as a ValueError."""

    class Parser(argparse.ArgumentParser):

        def error(self, message):
            raise ValueError(message)

    parser = Parser()
    parser.add_argument('--val', type=int)
    parser.add_argument('--num-train', type=int)
    parser.add_argument('--teacher-num-train', type=int)
    parser.add_argument('--sweep', nargs='+')
    parser.add_argument('--teacher-ckpt')
    args = parser.parse_args(argv)
    analysis.check_run_args(parser, args, num_train_options)
    return args


def test_check_run_args(tmp_path):
    args = _checked(['--val', '287', '--num-train', '1151', '--sweep',
                     'a.b=1,2'])
    assert args.sweep == {'a.b': [1, 2]}
    with pytest.raises(ValueError, match='--val 1438 leaves no training '
                       'image of the 1438'):
        _checked(['--val', '1438'])
    with pytest.raises(ValueError, match=r'--num-train 1152 \+ --val 287 = '
                       '1439 exceeds the 1438 training images'):
        _checked(['--val', '287', '--num-train', '1152'])
    with pytest.raises(ValueError, match='--teacher-num-train 1439 exceeds '
                       'the 1438 training images'):
        _checked(['--teacher-num-train', '1439'],
                 ('num_train', 'teacher_num_train'))
    # an option left out of num_train_options is not checked
    assert _checked(['--teacher-num-train', '1439'])
    with pytest.raises(ValueError, match='--sweep .a.b=.: expected KEY='):
        _checked(['--sweep', 'a.b='])
    missing = str(tmp_path / 'none.pth')
    with pytest.raises(ValueError, match=f'--teacher-ckpt {missing} does '
                       'not exist'):
        _checked(['--teacher-ckpt', missing])


def test_build_cfg_trains_before_and_evaluates_on_the_held_out(
        digits_root, tmp_path):
    cut = 1438 - 287
    cfg = analysis.build_cfg(
        osp.join(REPO, DEMO_METHODS['sskd']),
        str(tmp_path),
        digits_root,
        seed=3,
        epochs=2,
        num_train=list(range(143)),
        test_indices=list(range(cut, 1438)),
        options={KD_WEIGHT: 0.5})
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
    cfg = analysis.build_cfg(
        osp.join(REPO, DEMO_METHODS['kd']),
        str(tmp_path),
        digits_root,
        seed=0,
        epochs=60,
        options={
            'train_cfg.max_epochs': 40,
            'optim_wrapper.optimizer.lr': 0.01
        })
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
    analysis.set_epochs(cfg, 4)  # 10 hint + 20 -> 2 hint + 4
    assert cfg.train_cfg.max_epochs == 6 and cfg.train_cfg.val_begin == 3
    assert [h.get('begin', h.get('hint_epochs'))
            for h in cfg.custom_hooks] == [2, 2]
    analysis.set_epochs(cfg, 1)  # at least one hint epoch
    assert cfg.train_cfg.max_epochs == 2 and cfg.custom_hooks[1][
        'hint_epochs'] == 1
    plain = Config(
        dict(
            train_cfg=dict(max_epochs=30),
            param_scheduler=[dict(type='Cos', T_max=30)]))
    analysis.set_epochs(plain, 5)
    assert plain.train_cfg.max_epochs == 5
    assert plain.param_scheduler[0].T_max == 5


def test_summarize_mean_and_sample_std():
    by = {r['method']: r for r in analysis.summarize(HAND_RUNS)}
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
    assert [r['method'] for r in analysis.summarize(HAND_RUNS)
            ] == ['teacher', 'vanilla', 'at', 'kd', 'nst']


def test_summarize_and_format_sweep_points():
    runs = [
        dict(_run('kd', seed, top1), point={KD_WEIGHT: weight})
        for seed, (weight, top1) in enumerate([(0.5, 90.0), (0.9, 94.0),
                                               (0.5, 92.0), (0.9, 96.0)])
    ] + [_run('vanilla', 0, 80.0)]
    rows = analysis.summarize(runs)
    assert [r['label'] for r in rows
            ] == ['vanilla', 'kd (loss_weight=0.5)', 'kd (loss_weight=0.9)']
    assert rows[1]['point'] == {KD_WEIGHT: 0.5}
    assert (rows[1]['mean'], rows[1]['n'], rows[1]['seeds']) == (91.0, 2,
                                                                 [0, 2])
    assert rows[2]['std'] == pytest.approx(statistics.stdev([94.0, 96.0]))
    table = analysis.format_markdown(rows, 'val').splitlines()
    assert table[0].startswith('| method | top-1 (val, %) |')
    assert table[3].startswith('| kd (loss_weight=0.5) | 91.00 ± 1.41 | 2 |')


def test_format_markdown():
    table = analysis.format_markdown(analysis.summarize(HAND_RUNS))
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
    rows = analysis.summarize(HAND_RUNS)
    fig = analysis.chart(rows, 'title')
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


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


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
