# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of tools/analysis/benchmark.py.

The times it measures depend on the machine and its load: these tests check
that the reported figures follow from one another (the ratio from the
per-pair step times, images/s from the median, parameter counts from the
built models), that the steps alternate, and the memory measure on a step
whose allocations are known; never that a time is below a bound.
"""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from kd_test_utils import CACHED_KD_DIGITS, build_teacher_cache, load_tool
from mmengine.config import Config

from mmkd_plus.utils import network_config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEACHER_CFG = osp.join(REPO_ROOT, 'configs', 'teachers',
                       'resnet8_1xb64_digits.py')
KD_CFG = osp.join(REPO_ROOT, 'configs', 'baselines', 'kd',
                  'kd_logits_resnet20_resnet8_1xb64_digits.py')
NAMES = ['resnet8_1xb64_digits', 'kd_logits_resnet20_resnet8_1xb64_digits']
BATCH, ITERS, WARMUP = 8, 4, 1

benchmark = load_tool('analysis/benchmark.py')


@pytest.fixture(scope='module')
def two_configs(digits_root, tmp_path_factory):
    """Benchmark the resnet8 config against KD once; record whose step ran
    when."""
    out = tmp_path_factory.mktemp('benchmark') / 'results.json'
    order = []
    step = benchmark.Stepper.step

    def logged_step(self):
        order.append(int(self.runner.experiment_name[len('benchmark')]))
        return step(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(benchmark.Stepper, 'step', logged_step)
        report = benchmark.main([
            TEACHER_CFG, KD_CFG, '--iters',
            str(ITERS), '--warmup',
            str(WARMUP), '--batch-size',
            str(BATCH), '--threads', '1', '--out',
            str(out), '--cfg-options', 'model.teacher_ckpt=None',
            f'train_dataloader.dataset.data_root={digits_root}'
        ])
    with open(out) as f:
        saved = json.load(f)
    return report, saved, order


def test_steps_alternate_in_pairs(two_configs):
    *_, order = two_configs
    pairs = order[:2 * (WARMUP + ITERS)]
    # A B, B A, A B, B A, A B: neither config always runs second
    assert pairs == [0, 1, 1, 0, 0, 1, 1, 0, 0, 1]
    # then two profiled steps of each, for the memory
    assert order[len(pairs):] == [0, 0, 1, 1]


def test_ratio_is_the_median_of_the_pairs(two_configs):
    report, saved, _ = two_configs
    assert report['comparison'] == saved['comparison']
    first, second = saved['results']
    a = np.array(first['step_time_ms']['all'])
    b = np.array(second['step_time_ms']['all'])
    assert len(a) == len(b) == ITERS
    ratio = saved['comparison']['step_time_ratio']
    assert saved['comparison']['pairs'] == ITERS
    assert ratio['all'] == pytest.approx(list(b / a))
    assert ratio['median'] == pytest.approx(float(np.median(b / a)))
    q1, q3 = np.percentile(b / a, [25, 75])
    assert (ratio['q1'], ratio['q3']) == pytest.approx((q1, q3))
    assert saved['comparison']['memory_ratio'] == pytest.approx(
        second['peak_memory_mb'] / first['peak_memory_mb'])
    assert saved['comparison']['total_memory_ratio'] == pytest.approx(
        (second['peak_memory_mb'] + second['held_memory_mb']) /
        (first['peak_memory_mb'] + first['held_memory_mb']))
    # KD holds its frozen teacher besides the same student
    assert second['held_memory_mb'] > first['held_memory_mb']


def test_per_config_figures(two_configs):
    _, saved, _ = two_configs
    assert [r['name'] for r in saved['results']] == NAMES
    for r in saved['results']:
        steps = r['step_time_ms']
        assert steps['median'] == pytest.approx(np.median(steps['all']))
        assert r['images_per_s'] == pytest.approx(BATCH * 1e3 /
                                                  steps['median'])
        assert len(r['data_time_ms']['all']) == ITERS
        assert r['batch_size'] == BATCH and r['device'] == 'cpu'
        assert r['peak_memory_mb'] > 0
    assert saved['machine']['torch'] == torch.__version__
    assert saved['machine']['torch_threads'] == 1
    # the teacher_ckpt override went to the distillation config only
    first, second = saved['results']
    assert 'model.teacher_ckpt' not in first['cfg_options']
    assert second['cfg_options']['model.teacher_ckpt'] is None
    assert 'train_dataloader.dataset.data_root' in first['cfg_options']
    assert saved['notes'] == [
        f'--cfg-options model.teacher_ckpt: applied to {NAMES[1]} only'
    ]


def test_parameter_counts(two_configs):
    from mmpretrain.registry import MODELS
    _, saved, _ = two_configs

    def count(model_cfg):
        return sum(p.numel() for p in MODELS.build(model_cfg).parameters())

    kd_cfg = Config.fromfile(KD_CFG)
    resnet8 = count(Config.fromfile(TEACHER_CFG).model)
    # the KD leaf's networks are given by the configs that train them
    resnet20 = count(network_config(kd_cfg.model.teacher))
    assert count(network_config(kd_cfg.model.architecture)) == resnet8
    first, second = saved['results']
    assert first['params'] == dict(
        student=resnet8, trainable=resnet8, total=resnet8)
    # KD trains the student only; the teacher is frozen
    assert second['params'] == dict(
        student=resnet8, trainable=resnet8, total=resnet8 + resnet20)


def test_table(two_configs):
    report, *_ = two_configs
    text = benchmark.format_report(report)
    rows = [line for line in text.splitlines() if line.startswith('| ')]
    assert rows[0].startswith('| config |')
    assert [row.split('|')[1].strip() for row in rows[1:]] == NAMES
    for row, r in zip(rows[1:], report['results']):
        cells = [c.strip() for c in row.strip('|').split('|')]
        assert len(cells) == 11
        assert cells[9] == f'{r["held_memory_mb"]:.1f}'
        assert cells[3] == str(BATCH)
        assert cells[4] == f'{r["step_time_ms"]["median"]:.2f}'
        assert cells[7] == f'{r["images_per_s"]:.1f}'
    ratio = report['comparison']['step_time_ratio']
    assert (f'{NAMES[1]} / {NAMES[0]}: step-time ratio '
            f'{ratio["median"]:.2f} (median of {ITERS} same-run pairs, IQR '
            f'{ratio["q1"]:.2f}-{ratio["q3"]:.2f})') in text


def test_held_memory_counts_weights_buffers_and_optimizer_state():
    model = torch.nn.Sequential(torch.nn.Linear(256, 512),
                                torch.nn.BatchNorm1d(512))
    frozen = torch.nn.Linear(512, 512)  # a teacher's: held, not optimised
    for p in frozen.parameters():
        p.requires_grad_(False)
    model.add_module('teacher', frozen)
    optimizer = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad])
    model(torch.randn(4, 256)).sum().backward()
    optimizer.step()
    wrapper = type('Wrapper', (), {'optimizer': optimizer})()
    floats = sum(p.numel() for p in model.parameters()) + sum(
        b.numel() for b in model.buffers() if b.is_floating_point())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    steps = len(optimizer.state)  # Adam's step counts: one float each
    expected = (4 * (floats + 2 * trainable + steps) + 8) / 2**20
    # (+ 8: BatchNorm's num_batches_tracked, one int64)
    assert benchmark.held_memory_mb(model, wrapper) == pytest.approx(expected)


def test_peak_memory_of_a_known_step():
    kept = []

    def step():
        a = torch.ones(2**18)  # 1 MB
        b = torch.ones(2**19)  # 2 MB: 3 MB live, the peak
        del a
        kept.append(b)  # stays live: not counted in the next call's peak

    assert benchmark.peak_step_memory_mb(step) == pytest.approx(3.0, abs=0.01)
    assert len(kept) == 2


def test_missing_config_and_test_only_config(tmp_path):
    with pytest.raises(SystemExit):
        benchmark.main([str(tmp_path / 'nope.py')])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        benchmark.load_config(str(tmp_path / 'nope.py'))
    cfg = tmp_path / 'test_only.py'
    cfg.write_text("model = dict(type='ImageClassifier')\n")
    with pytest.raises(ValueError, match='no train_dataloader'):
        benchmark.load_config(str(cfg))


def test_split_cfg_options():
    first = Config(dict(model=dict(type='A'), data=dict(items=[1, 2])))
    second = Config(dict(model=dict(type='B', teacher_ckpt='x.pth')))
    options = {
        'model.teacher_ckpt': None,
        'model.type': 'C',
        'data.items.1': 3,
        'extra.key': 1
    }
    per_cfg, notes = benchmark.split_cfg_options(options, [first, second],
                                                 ['a', 'b'])
    assert per_cfg == [{
        'model.type': 'C',
        'data.items.1': 3,
        'extra.key': 1
    }, {
        'model.teacher_ckpt': None,
        'model.type': 'C',
        'extra.key': 1
    }]
    assert notes == [
        '--cfg-options model.teacher_ckpt: applied to b only',
        '--cfg-options data.items.1: applied to a only'
    ]
    assert not benchmark.has_key(first, 'data.items.2')
    assert not benchmark.has_key(first, 'model.type.x')


def test_hooks_run_before_the_steps(digits_root, tmp_path):
    """``before_run`` and ``before_train`` hooks (e.g. a vocabulary build)
    run once, with the loop and optim wrapper built, before any step; their
    time is setup time."""
    import time

    from mmengine.hooks import Hook
    from mmengine.optim import OptimWrapper
    from mmengine.registry import HOOKS

    calls = []

    @HOOKS.register_module(name='_BenchmarkProbeHook', force=True)
    class _BenchmarkProbeHook(Hook):

        def before_run(self, runner):
            calls.append('before_run')

        def before_train(self, runner):
            assert isinstance(runner.optim_wrapper, OptimWrapper)
            calls.append('before_train')
            time.sleep(0.2)

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            calls.append('iter')

    cfg = benchmark.load_config(
        TEACHER_CFG, {
            'train_dataloader.dataset.data_root': digits_root,
            'custom_hooks': [dict(type='_BenchmarkProbeHook')]
        },
        batch_size=BATCH,
        work_dir=str(tmp_path))
    assert cfg.default_hooks.checkpoint is None and cfg.val_cfg is None
    assert cfg.train_dataloader.drop_last and cfg.load_from is None
    stepper = benchmark.Stepper(cfg)
    assert calls == ['before_run', 'before_train']
    assert stepper.setup_time_s >= 0.2
    data_ms, step_ms = stepper.step()
    assert data_ms > 0 and step_ms > 0
    # per-iteration hooks are not part of a step
    assert calls == ['before_run', 'before_train']


def test_a_config_with_its_own_batch_sampler(digits_root, tmp_path):
    """MFD's group-balanced batch sampler makes the batches: no drop_last
    is forced on it, and images/s counts the batch as made (20 cells x 6 =
    120 of the configured 128)."""
    cfg = benchmark.load_config(
        osp.join(REPO_ROOT, 'configs', 'mfd',
                 'ss_cifarnet_half_1xb128_digits_s.py'),
        {'data_root': digits_root},
        work_dir=str(tmp_path))
    assert 'drop_last' not in cfg.train_dataloader
    stepper = benchmark.Stepper(cfg)
    data_ms, step_ms = stepper.step()
    assert data_ms > 0 and step_ms > 0
    assert stepper.batch_size == 120


def test_a_cached_config_against_its_online_config(digits_root,
                                                   digits_teacher_ckpt,
                                                   tmp_path):
    """The cached KD config steps from its teacher cache (given by
    train_dataloader.dataset.cache_dir, reused cyclically past its one
    epoch): a model without the teacher's weights."""
    data = [
        f'data_root={digits_root}', 'train_dataloader.dataset.indices=32',
        f'model.teacher_ckpt={digits_teacher_ckpt}'
    ]
    cache = build_teacher_cache(
        CACHED_KD_DIGITS, data + [f'work_dir={tmp_path}'], epochs=1)
    report = benchmark.main([
        KD_CFG, CACHED_KD_DIGITS, '--iters', '3', '--warmup', '1',
        '--batch-size', '8', '--threads', '1', '--cfg-options', *data,
        f'train_dataloader.dataset.cache_dir={cache.root}',
        'train_dataloader.dataset.cyclic_epochs=True'
    ])
    online, cached = report['results']
    assert cached['params']['total'] == cached['params']['student'] == \
        online['params']['student'] < online['params']['total']
    assert report['notes'] == [
        f'--cfg-options train_dataloader.dataset.{key}: applied to '
        'kd_logits_cached_resnet20_resnet8_1xb64_digits only'
        for key in ('cache_dir', 'cyclic_epochs')
    ]
    assert cached['step_time_ms']['median'] > 0
