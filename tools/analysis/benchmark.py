# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Train-step time, images/s and peak memory of one or two configs, and the
same-run ratio of the second over the first.

    python tools/analysis/benchmark.py CONFIG [CONFIG2] [--iters 50]
        [--warmup 10] [--batch-size B] [--amp] [--threads N]
        [--cfg-options k=v ...] [--out results.json]

Example (the digits student alone against KD, whose teacher is untrained)::

    python tools/analysis/benchmark.py \\
        configs/teachers/resnet8_1xb64_digits.py \\
        configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py \\
        --cfg-options model.teacher_ckpt=None --threads 1

Each config's Runner is built as ``tools/train.py`` builds it (with
``--no-validate``, no checkpoint hook, a temporary work dir), and made ready
as ``Runner.train()`` does: its train loop, optim wrapper and the
``before_run``/``before_train`` hooks (e.g. a QuEST vocabulary build; their
time is the *setup time*, not step time). A step is
``runner.model.train_step(batch, optim_wrapper=runner.optim_wrapper)``:
data preprocessor, forward, losses, backward and optimizer step, timed with
CUDA synchronised; loading the batch is timed apart (*data time*);
per-iteration hooks do not run; weights are not loaded (``load_from``), as
they do not change the step time. Every batch is full (``drop_last``, or
the config's own ``batch_sampler``, e.g. MFD's group-balanced one).

Two configs run in one process and take turns, one step each, in pairs
A B, B A, A B ... (the order alternates so neither always goes second);
``--warmup`` pairs are untimed. A pair's two steps run back to back, so a
change of the machine's load hits both alike: the ratio is the
median over the pairs of step B / step A, with its inter-quartile range.
Medians of each config's own steps are reported too; on a loaded machine
those absolute times vary from run to run, the ratio far less.

Peak memory is that of one step above what was allocated before it
(activations, gradients, temporaries, the batch): on CUDA from
``torch.cuda.max_memory_allocated``, on the CPU from the allocation events
``torch.profiler`` records over a step (torch has no CPU allocator
counters). Held memory is what the model keeps between steps: its
parameters and buffers (a frozen teacher's included) and the optimizer's
state; held + peak is the model's memory at the top of a step, and the
comparison gives its ratio too. ``--cfg-options`` go to every config that
has the key (e.g. ``model.teacher_ckpt`` to the distillation config only);
a key neither has goes to both. Force the CPU on a GPU machine with
``CUDA_VISIBLE_DEVICES=``.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import time

import mmkd_plus  # noqa: F401  (torch-2 fixes before OpenMMLab)
import numpy as np
import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.runner import Runner

TOOLS_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))

MB = 2**20
_MARK = 'mmkd_benchmark_step'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Median train-step time, images/s and peak memory of one '
        'or two configs, and their same-run ratio (steps interleaved).')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'config2', nargs='?', help='second config, compared to the first')
    parser.add_argument(
        '--iters', type=int, default=50, help='timed steps per config')
    parser.add_argument(
        '--warmup', type=int, default=10, help='untimed steps first')
    parser.add_argument(
        '--batch-size', type=int, help='train_dataloader.batch_size of both')
    parser.add_argument(
        '--amp', action='store_true', help='AmpOptimWrapper, as train.py')
    parser.add_argument(
        '--threads', type=int, help='torch.set_num_threads (1 on a busy CPU)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='key=value overrides, each given to the configs that have the '
        'key (to both when neither has it)')
    parser.add_argument('--out', help='also write the report as JSON')
    args = parser.parse_args(argv)
    for config in filter(None, (args.config, args.config2)):
        if not osp.isfile(config):
            parser.error(f'config file {config!r} does not exist')
    if args.iters < 1 or args.warmup < 0:
        parser.error('--iters must be >= 1 and --warmup >= 0')
    if args.batch_size is not None and args.batch_size < 1:
        parser.error('--batch-size must be >= 1')
    return args


def has_key(cfg, key):
    """Whether the dotted ``key`` (list indices allowed) exists in ``cfg``."""
    node = cfg
    for part in key.split('.'):
        if isinstance(node, (Config, ConfigDict, dict)) and part in node:
            node = node[part]
        elif (isinstance(node, (list, tuple)) and part.isdigit()
              and int(part) < len(node)):
            node = node[int(part)]
        else:
            return False
    return True


def split_cfg_options(cfg_options, cfgs, names):
    """Give each option to the configs that have its key (all if none has).

    Returns:
        tuple[list[dict], list[str]]: The options of each config, and a note
        per option given to some configs only.
    """
    per_cfg, notes = [dict() for _ in cfgs], []
    for key, value in (cfg_options or {}).items():
        found = [has_key(cfg, key) for cfg in cfgs]
        targets = [i for i, ok in enumerate(found) if ok or not any(found)]
        if len(targets) < len(cfgs):
            notes.append(f'--cfg-options {key}: applied to '
                         f'{", ".join(names[i] for i in targets)} only')
        for i in targets:
            per_cfg[i][key] = value
    return per_cfg, notes


def load_config(path,
                cfg_options=None,
                batch_size=None,
                amp=False,
                work_dir=None):
    """The config as ``tools/train.py --no-validate`` merges it, for timing.

    Raises:
        FileNotFoundError: If the config file does not exist.
        ValueError: If the config has no ``train_dataloader``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path!r} does not exist')
    spec = importlib.util.spec_from_file_location(
        '_mmkd_plus_train', osp.join(TOOLS_DIR, 'train.py'))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    args = train.parse_args([path, '--no-validate'] + ['--amp'] * amp)
    args.cfg_options, args.work_dir = cfg_options or None, work_dir
    cfg = train.merge_args(Config.fromfile(path), args)
    if cfg.get('train_dataloader') is None:
        raise ValueError(f'{path} has no train_dataloader: nothing to train, '
                         'so nothing to benchmark (a test-only config?)')
    if batch_size is not None:
        cfg.train_dataloader.batch_size = batch_size
    if cfg.train_dataloader.get('batch_sampler') is None:
        cfg.train_dataloader.drop_last = True
    # else the batch sampler makes the batches (and refuses drop_last)
    cfg.default_hooks.checkpoint = None
    cfg.load_from, cfg.resume, cfg.log_level = None, False, 'WARNING'
    return cfg


def count_params(model):
    """Parameters of the student (the model itself if it does not distil)
    and of the whole model (a frozen teacher included)."""
    student = getattr(model, 'architecture', model)
    return dict(
        student=sum(p.numel() for p in student.parameters()),
        trainable=sum(p.numel() for p in model.parameters()
                      if p.requires_grad),
        total=sum(p.numel() for p in model.parameters()))


class Stepper:
    """A Runner made ready to train, stepped one batch at a time.

    Args:
        cfg (Config): From :func:`load_config`.
    """

    def __init__(self, cfg):
        start = time.perf_counter()
        self.runner = runner = Runner.from_cfg(cfg)
        loader = runner.train_loop.dataloader
        runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
        runner.call_hook('before_run')
        runner.optim_wrapper.initialize_count_status(
            runner.model, 0, runner.train_loop.max_iters)
        runner.call_hook('before_train')
        runner.model.train()
        self.cuda = next(runner.model.parameters()).is_cuda
        self.batch_size = loader.batch_size or loader.batch_sampler.batch_size
        self.batches = self._cycle(loader)
        self.steps = 0
        self.setup_time_s = time.perf_counter() - start

    def _cycle(self, loader):
        for epoch in range(sys.maxsize):
            if hasattr(loader.sampler, 'set_epoch'):
                loader.sampler.set_epoch(epoch)
            empty = True
            for batch in loader:
                empty = False
                yield batch
            if empty:
                raise ValueError(
                    f'the train set holds less than one batch of '
                    f'{self.batch_size} images: lower --batch-size')

    def _sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def step(self):
        """One train step; returns its data time and step time, in ms."""
        start = time.perf_counter()
        batch = next(self.batches)
        if isinstance(batch, dict) and 'inputs' in batch:
            # the batch as made (a balanced sampler may round it down)
            self.batch_size = len(batch['inputs'])
        self.runner.message_hub.update_info('iter', self.steps)
        self._sync()
        mid = time.perf_counter()
        self.runner.model.train_step(
            batch, optim_wrapper=self.runner.optim_wrapper)
        self._sync()
        self.steps += 1
        return (mid - start) * 1e3, (time.perf_counter() - mid) * 1e3


def peak_step_memory_mb(step, cuda=False):
    """Peak memory one call of ``step`` allocates above what is live before
    it, in MB.

    On the CPU, ``step`` runs twice under ``torch.profiler``; the second
    call is measured, so that the frees of tensors the first one made are
    seen too. The allocation events are summed in time order.
    """
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / MB
    from torch.profiler import ProfilerActivity, profile, record_function
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as p:
        step()
        with record_function(_MARK):
            step()
    events = p.profiler.kineto_results.events()
    (mark, ) = [e for e in events if e.name() == _MARK]
    end = mark.start_ns() + mark.duration_ns()
    live = peak = before = 0
    for t, nbytes in sorted((e.start_ns(), e.nbytes()) for e in events
                            if e.name() == '[memory]'):
        if t > end:
            break
        if t < mark.start_ns():
            before = live = live + nbytes
        else:
            live += nbytes
            peak = max(peak, live - before)
    return peak / MB


def held_memory_mb(model, optim_wrapper):
    """What the model holds between steps, in MB: its parameters and
    buffers (a frozen teacher's included) and the optimizer's state, each
    storage counted once."""
    wrappers = getattr(optim_wrapper, 'optim_wrappers', None)
    optimizers = [w.optimizer for w in wrappers.values()] if wrappers \
        else [optim_wrapper.optimizer]
    tensors = [*model.parameters(), *model.buffers()]
    for optimizer in optimizers:
        for state in optimizer.state.values():
            tensors += [t for t in state.values() if torch.is_tensor(t)]
    storages = {}
    for t in tensors:
        storage = t.untyped_storage()
        storages[(t.device, storage.data_ptr())] = storage.nbytes()
    return sum(storages.values()) / MB


def quartiles(values):
    """Median, first and third quartile and all values of a sample."""
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return dict(
        median=float(median),
        q1=float(q1),
        q3=float(q3),
        all=[float(v) for v in values])


def run(configs, per_cfg_options, iters, warmup, batch_size=None, amp=False):
    """Build the configs' runners, step them in turns, measure them.

    Returns:
        tuple[list[dict], dict | None]: One result per config, and the
        comparison of the second with the first (None with one config).
    """
    steppers, work_dirs = [], []
    for config, options in zip(configs, per_cfg_options):
        work_dirs.append(tempfile.TemporaryDirectory(prefix='mmkd_bench_'))
        cfg = load_config(config, options, batch_size, amp, work_dirs[-1].name)
        # two runners of one file must not share MMEngine's named instances
        cfg.experiment_name = f'benchmark{len(steppers)}_{time.time_ns()}'
        steppers.append(Stepper(cfg))
    times = [[] for _ in steppers]
    for i in range(warmup + iters):
        order = range(len(steppers)) if i % 2 == 0 else \
            reversed(range(len(steppers)))
        for k in order:
            measured = steppers[k].step()
            if i >= warmup:
                times[k].append(measured)
    results = []
    for config, options, stepper, timed in zip(configs, per_cfg_options,
                                               steppers, times):
        data_ms, step_ms = zip(*timed)
        step_stats = quartiles(step_ms)
        results.append(
            dict(
                config=config,
                cfg_options=options,
                batch_size=stepper.batch_size,
                device='cuda' if stepper.cuda else 'cpu',
                params=count_params(stepper.runner.model),
                setup_time_s=stepper.setup_time_s,
                step_time_ms=step_stats,
                data_time_ms=quartiles(data_ms),
                images_per_s=stepper.batch_size * 1e3 / step_stats['median'],
                peak_memory_mb=peak_step_memory_mb(stepper.step,
                                                   stepper.cuda),
                held_memory_mb=held_memory_mb(stepper.runner.model,
                                              stepper.runner.optim_wrapper)))
    for work_dir in work_dirs:
        work_dir.cleanup()
    if len(results) < 2:
        return results, None
    first, second = results
    pairs = np.divide(second['step_time_ms']['all'],
                      first['step_time_ms']['all'])
    mem = first['peak_memory_mb']
    total = first['peak_memory_mb'] + first['held_memory_mb']
    return results, dict(
        pairs=len(pairs),
        step_time_ratio=quartiles(pairs),
        memory_ratio=second['peak_memory_mb'] / mem if mem > 0 else None,
        total_memory_ratio=(second['peak_memory_mb'] +
                            second['held_memory_mb']) /
        total if total > 0 else None)


def machine():
    """The CPU, cores, load, torch build and GPU the figures come from."""
    cpu = platform.processor() or platform.machine()
    if osp.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            names = [
                ln.split(':', 1)[1].strip() for ln in f
                if ln.startswith('model name')
            ]
        cpu = names[0] if names else cpu
    return dict(
        cpu=cpu,
        cores=len(os.sched_getaffinity(0))
        if hasattr(os, 'sched_getaffinity') else os.cpu_count(),
        load_avg_1min=os.getloadavg()[0]
        if hasattr(os, 'getloadavg') else float('nan'),
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
        gpu=torch.cuda.get_device_name()
        if torch.cuda.is_available() else None)


def format_report(report):
    """The report as markdown: machine, one row per config, the ratio."""
    m = report['machine']
    lines = [
        f'Machine: {m["cpu"]}, {m["cores"]} cores, 1-min load '
        f'{m["load_avg_1min"]:.2f} before the run, torch {m["torch"]}, '
        f'{m["torch_threads"]} torch threads' +
        (f', GPU {m["gpu"]}' if m['gpu'] else '') + '.',
        f'{report["warmup"]} warm-up + {report["iters"]} timed steps per '
        'config' +
        (', interleaved in one process.' if report['comparison'] else '.'), '',
        '| config | student params | total params | batch | step median '
        '(ms) | step IQR (ms) | data median (ms) | images/s | peak memory '
        '(MB) | held memory (MB) | setup (s) |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    ]
    for r in report['results']:
        st = r['step_time_ms']
        lines.append(
            f'| {r["name"]} | {r["params"]["student"]:,} | '
            f'{r["params"]["total"]:,} | {r["batch_size"]} | '
            f'{st["median"]:.2f} | {st["q1"]:.2f}-{st["q3"]:.2f} | '
            f'{r["data_time_ms"]["median"]:.2f} | {r["images_per_s"]:.1f} | '
            f'{r["peak_memory_mb"]:.1f} | {r["held_memory_mb"]:.1f} | '
            f'{r["setup_time_s"]:.2f} |')
    lines += report['notes']
    c = report['comparison']
    if c:
        a, b = (r['name'] for r in report['results'])
        ratio = c['step_time_ratio']
        mem, total = ('n/a' if value is None else f'{value:.2f}'
                      for value in (c['memory_ratio'],
                                    c['total_memory_ratio']))
        lines += [
            '', f'{b} / {a}: step-time ratio {ratio["median"]:.2f} '
            f'(median of {c["pairs"]} same-run pairs, IQR '
            f'{ratio["q1"]:.2f}-{ratio["q3"]:.2f}), peak-memory ratio {mem}, '
            f'held + peak memory ratio {total}'
        ]
    return '\n'.join(lines)


def main(argv=None):
    """Measure, print the report (and write it with ``--out``); return it."""
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    configs = [c for c in (args.config, args.config2) if c]
    names = [osp.splitext(osp.basename(c))[0] for c in configs]
    if len(set(names)) < len(names):
        names = [f'{n} ({i + 1})' for i, n in enumerate(names)]
    per_cfg, notes = split_cfg_options(args.cfg_options,
                                       [Config.fromfile(c) for c in configs],
                                       names)
    info = machine()
    results, comparison = run(configs, per_cfg, args.iters, args.warmup,
                              args.batch_size, args.amp)
    for name, result in zip(names, results):
        result['name'] = name
    report = dict(
        command=['tools/analysis/benchmark.py'] +
        list(sys.argv[1:] if argv is None else argv),
        machine=info,
        iters=args.iters,
        warmup=args.warmup,
        results=results,
        comparison=comparison,
        notes=notes)
    print(format_report(report))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == '__main__':
    main()
