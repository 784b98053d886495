# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of tools/analysis/benchmark.py.

The numbers it measures depend on the machine and its load: these tests
check that they are consistent with one another (images/s, ratios, parameter
counts), never that they are below any bound.
"""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEACHER_CFG = osp.join(REPO_ROOT, 'configs', 'teachers',
                       'resnet8_1xb64_digits.py')
KD_CFG = osp.join(REPO_ROOT, 'configs', 'baselines', 'kd',
                  'kd_logits_resnet20_resnet8_1xb64_digits.py')
BATCH = 8


def _load_tool():
    path = osp.join(REPO_ROOT, 'tools', 'analysis', 'benchmark.py')
    spec = importlib.util.spec_from_file_location('_benchmark_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchmark = _load_tool()


def _num_params(model_cfg):
    from mmpretrain.registry import MODELS
    model = MODELS.build(model_cfg)
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope='module')
def two_configs(digits_root, tmp_path_factory):
    """Benchmark the resnet8 teacher config and the KD config once."""
    out = tmp_path_factory.mktemp('benchmark') / 'results.json'
    argv = [
        TEACHER_CFG, KD_CFG, '--iters', '3', '--warmup', '1',
        '--batch-size',
        str(BATCH), '--device', 'cpu', '--threads', '1', '--out',
        str(out), '--cfg-options', 'model.teacher_ckpt=None',
        f'train_dataloader.dataset.data_root={digits_root}'
    ]
    report = benchmark.main(argv)
    with open(out) as f:
        saved = json.load(f)
    return report, saved


def test_two_configs_json(two_configs):
    report, saved = two_configs
    results = saved['results']
    assert [r['name'] for r in results] == [
        'resnet8_1xb64_digits', 'kd_logits_resnet20_resnet8_1xb64_digits'
    ]
    for r in results:
        median = r['step_time_ms']['median']
        assert median > 0
        assert r['batch_size'] == BATCH
        assert len(r['step_time_ms']['all']) == 3
        assert r['step_time_ms']['q1'] <= median <= r['step_time_ms']['q3']
        assert r['images_per_s'] == pytest.approx(BATCH / (median / 1e3))
        assert r['memory']['kind'] == 'cpu_peak_rss_growth'
        assert r['memory']['peak_mb'] >= 0
        assert r['device'] == 'cpu'
        assert r['torch_threads'] == 1
        assert r['setup_time_s'] >= 0
    first, second = results
    comparison = saved['comparison']
    assert comparison['step_time_ratio'] == pytest.approx(
        second['step_time_ms']['median'] / first['step_time_ms']['median'])
    if first['memory']['peak_mb'] > 0:
        assert comparison['memory_ratio'] == pytest.approx(
            second['memory']['peak_mb'] / first['memory']['peak_mb'])
    # the teacher_ckpt override only went to the distillation config
    assert 'model.teacher_ckpt' not in first['cfg_options']
    assert second['cfg_options']['model.teacher_ckpt'] is None
    assert 'train_dataloader.dataset.data_root' in first['cfg_options']
    assert saved['machine']['torch'] == torch.__version__
    assert report['comparison'] == comparison


def test_two_configs_params(two_configs):
    _, saved = two_configs
    first, second = saved['results']
    teacher_cfg = Config.fromfile(TEACHER_CFG)
    kd_cfg = Config.fromfile(KD_CFG)
    resnet8 = _num_params(teacher_cfg.model)
    resnet20 = _num_params(kd_cfg.model.teacher)
    assert first['params'] == dict(
        student=resnet8,
        student_trainable=resnet8,
        trainable=resnet8,
        total=resnet8)
    assert _num_params(kd_cfg.model.architecture) == resnet8
    # KD learns nothing but the student; the teacher is frozen
    assert second['params'] == dict(
        student=resnet8,
        student_trainable=resnet8,
        trainable=resnet8,
        total=resnet8 + resnet20)


def test_two_configs_table(two_configs):
    report, _ = two_configs
    text = benchmark.format_report(report)
    rows = [line for line in text.splitlines() if line.startswith('| ')]
    assert rows[0].startswith('| config |')
    body = rows[1:]
    assert len(body) == 2
    assert body[0].startswith('| resnet8_1xb64_digits |')
    assert body[1].startswith('| kd_logits_resnet20_resnet8_1xb64_digits |')
    for row, r in zip(body, report['results']):
        cells = [c.strip() for c in row.strip('|').split('|')]
        assert len(cells) == 12
        assert cells[4] == str(BATCH)
        assert cells[5] == f'{r["step_time_ms"]["median"]:.2f}'
        assert cells[8] == f'{BATCH * 1e3 / r["step_time_ms"]["median"]:.1f}'
    c = report['comparison']
    assert (f'kd_logits_resnet20_resnet8_1xb64_digits / resnet8_1xb64_digits'
            f' step-time ratio: {c["step_time_ratio"]:.2f}') in text
    assert 'Machine: ' in text and 'torch threads' in text
    assert 'applied to kd_logits_resnet20_resnet8_1xb64_digits only' in text


def test_missing_config(tmp_path):
    with pytest.raises(SystemExit):
        benchmark.main([str(tmp_path / 'nope.py'), '--iters', '1'])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        benchmark.load_config(str(tmp_path / 'nope.py'))


def test_no_train_dataloader(tmp_path):
    cfg = tmp_path / 'test_only.py'
    cfg.write_text("model = dict(type='ImageClassifier')\n")
    with pytest.raises(ValueError, match='no train_dataloader'):
        benchmark.main([str(cfg), '--iters', '1', '--device', 'cpu'])


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is visible')
def test_cuda_without_gpu(capsys):
    with pytest.raises(SystemExit):
        benchmark.main([TEACHER_CFG, '--device', 'cuda'])
    assert 'no CUDA GPU' in capsys.readouterr().err


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
    assert per_cfg[0] == {
        'model.type': 'C',
        'data.items.1': 3,
        'extra.key': 1
    }
    assert per_cfg[1] == {
        'model.teacher_ckpt': None,
        'model.type': 'C',
        'extra.key': 1
    }
    assert len(notes) == 2
    # one config: everything applies
    per_cfg, notes = benchmark.split_cfg_options(options, [first], ['a'])
    assert per_cfg == [options] and notes == []
    assert not benchmark.has_key(first, 'data.items.2')
    assert not benchmark.has_key(first, 'model.type.x')


def test_measure_runs_before_train_hooks_first(digits_root, tmp_path):
    """A ``before_train`` hook (e.g. a vocabulary builder) runs before the
    warm-up, with the dataloader and optimizer built; its time is the setup
    time, not step time."""
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
            assert len(runner.train_loop.dataloader) > 0
            calls.append(('before_train', runner.model.training))
            time.sleep(0.2)

    cfg = benchmark.load_config(
        TEACHER_CFG, {
            'train_dataloader.dataset.data_root': digits_root,
            'custom_hooks': [dict(type='_BenchmarkProbeHook')]
        },
        batch_size=BATCH,
        work_dir=str(tmp_path))
    assert cfg.default_hooks.checkpoint is None
    assert cfg.val_dataloader is None and cfg.log_level == 'WARNING'
    result = benchmark.measure(cfg, iters=2, warmup=1)
    assert calls[0] == 'before_run' and calls[1][0] == 'before_train'
    assert len(calls) == 2
    assert result['setup_time_s'] >= 0.2
    assert result['batch_size'] == BATCH
    assert len(result['step_time_ms']['all']) == 2
    assert result['params']['total'] == result['params']['student']
