# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Measure the train-step time, images/s and peak memory of one or two configs.

Usage::

    python tools/analysis/benchmark.py CONFIG [CONFIG2] [--iters 50]
        [--warmup 10] [--batch-size B] [--device {cpu,cuda}] [--amp]
        [--threads N] [--cfg-options k=v ...] [--out results.json]
        [--work-dir DIR]

Example (a teacher config and a KD config whose teacher checkpoint has not
been trained yet)::

    python tools/analysis/benchmark.py \\
        configs/teachers/resnet8_1xb64_digits.py \\
        configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py \\
        --cfg-options model.teacher_ckpt=None --iters 30

What is measured. Each config runs in its own worker process (this script
with a hidden ``--worker`` flag), one after the other, on the same machine in
the same invocation, so that the peak memory of one does not pollute the
other. A worker builds the Runner as ``tools/train.py`` does (with no
checkpoint hook, no validation, log level WARNING and a temporary work dir),
then the train loop, the optimizer wrapper and the parameter schedulers; it
calls the ``before_run`` and ``before_train`` hooks (e.g. a hook that builds
a vocabulary before training) and reports their time as *setup time*, which
is excluded from the step time. Then it runs ``--warmup`` untimed iterations
and ``--iters`` timed ones of ``model.train_step(data_batch, optim_wrapper)``
(forward, losses, backward, optimizer step, including the data
preprocessor), synchronising CUDA before reading the clock. Loading the next
batch is not in the step time; it is reported separately as *data time*.
Incomplete batches (the end of an epoch) are skipped, so that every timed
step has the same batch size. Per-iteration hooks are not called.

Reported per config: the parameter counts (of the student for a
distillation algorithm, and of the whole model: trainable, i.e.
``requires_grad=True``, and total), the batch size, the median step time
with its inter-quartile range, images/s (batch size / median step time),
the median data time, and the peak memory of the measured iterations:

- CUDA: ``torch.cuda.max_memory_allocated()`` after
  ``torch.cuda.reset_peak_memory_stats()`` (every live tensor: weights,
  gradients, optimizer state, activations);
- CPU: the growth of the worker's peak RSS (``VmHWM`` of
  ``/proc/self/status``, reset through ``/proc/self/clear_refs`` after the
  warm-up) over its RSS at the start of the measured iterations, i.e. the
  memory the steps allocate beyond what the process holds between steps
  (activations, gradients). Before the reset, ``malloc_trim(0)`` (glibc)
  gives the memory freed by the warm-up back to the OS; without it the
  steps would re-use that memory unseen. The table also gives the peak RSS
  over the RSS before the Runner was built (model, optimizer state, data
  set, allocator caches, activations).

With two configs the report ends with the ratios CONFIG2 / CONFIG1 of the
median step times and of the peak memories. ``--out`` writes everything as
JSON. Speed and memory depend on the machine and its load: quote them with
the machine line printed above the table (which includes the load average
before and after the run), never as fixed limits. On a CPU shared with other
work, several torch threads waiting for each other slow down far more than
one: use ``--threads 1`` there.

``--cfg-options`` apply to every config (with one config, all of them, as in
``tools/train.py``). With two configs, a key that exists in only one of them
(e.g. ``model.teacher_ckpt`` of a distillation config) is applied to that
one only; a key found in neither is applied to both (it adds a setting). The
report says which keys were applied to one config only.
"""
import argparse
import gc
import importlib.util
import json
import os
import os.path as osp
import pickle
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOOLS_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(TOOLS_DIR))
import mmkd_plus  # noqa: E402,F401  (torch-2 fixes before OpenMMLab)
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, ConfigDict, DictAction  # noqa: E402

MB = 2**20


def parse_args(argv=None):
    """Parse the command line.

    Args:
        argv (list[str], optional): The arguments. Defaults to
            ``sys.argv[1:]``.

    Returns:
        tuple: The parser and the parsed ``argparse.Namespace``.
    """
    parser = argparse.ArgumentParser(
        description='Median train-step time, images/s and peak memory of '
        'one or two configs (each in its own process), and their ratio.')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'config2', nargs='?', help='second config file, compared to the first')
    parser.add_argument(
        '--iters', type=int, default=50, help='timed iterations')
    parser.add_argument(
        '--warmup', type=int, default=10, help='untimed iterations first')
    parser.add_argument(
        '--batch-size',
        type=int,
        help='override train_dataloader.batch_size of every config')
    parser.add_argument(
        '--device',
        choices=('cpu', 'cuda'),
        help='default: cuda if a GPU is visible, else cpu')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (AmpOptimWrapper; CUDA only)')
    parser.add_argument(
        '--threads',
        type=int,
        help='torch.set_num_threads in the workers (default: torch default)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the configs, key=value pairs, e.g. '
        'model.teacher_ckpt=None to distil from a random teacher when its '
        'checkpoint has not been trained, or '
        'train_dataloader.dataset.data_root=DIR. With two configs, a key '
        'found in only one config is applied to that one only.')
    parser.add_argument('--out', help='write all the results to this JSON')
    parser.add_argument(
        '--work-dir',
        help='work dirs of the workers go to WORK_DIR/<config name> '
        '(default: temporary dirs, removed afterwards)')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return parser, args


# --------------------------------------------------------------- config ---


def _load_train_module():
    """Import ``tools/train.py`` (not a package) for its ``merge_args``."""
    path = osp.join(TOOLS_DIR, 'train.py')
    spec = importlib.util.spec_from_file_location('_mmkd_plus_train', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def has_key(cfg, key):
    """Whether the dotted ``key`` (list indices allowed) exists in ``cfg``.

    Args:
        cfg (Config | dict): The config.
        key (str): A dotted key as given to ``--cfg-options``.

    Returns:
        bool: True if every component of the key exists.
    """
    node = cfg
    for part in key.split('.'):
        if isinstance(node, (Config, ConfigDict, dict)):
            if part not in node:
                return False
            node = node[part]
        elif isinstance(node, (list, tuple)):
            if not part.isdigit() or int(part) >= len(node):
                return False
            node = node[int(part)]
        else:
            return False
    return True


def split_cfg_options(cfg_options, cfgs, names):
    """Decide which ``--cfg-options`` apply to which config.

    With one config every option applies. With more, an option whose key
    exists in some of the configs applies to those only; an option whose key
    exists in none applies to all (it adds a new key).

    Args:
        cfg_options (dict | None): Parsed ``--cfg-options``.
        cfgs (list[Config]): The configs as loaded from their files.
        names (list[str]): Names of the configs, for the notes.

    Returns:
        tuple[list[dict], list[str]]: The options of each config and notes
        on the options applied to some configs only.
    """
    cfg_options = cfg_options or {}
    per_cfg = [dict() for _ in cfgs]
    notes = []
    for key, value in cfg_options.items():
        found = [has_key(cfg, key) for cfg in cfgs]
        if len(cfgs) == 1 or not any(found) or all(found):
            targets = list(range(len(cfgs)))
        else:
            targets = [i for i, ok in enumerate(found) if ok]
            skipped = [names[i] for i, ok in enumerate(found) if not ok]
            notes.append(f'--cfg-options {key}: applied to '
                         f'{", ".join(names[i] for i in targets)} only '
                         f'(no such key in {", ".join(skipped)})')
        for i in targets:
            per_cfg[i][key] = value
    return per_cfg, notes


def load_config(path, cfg_options=None, batch_size=None, amp=False,
                work_dir=None):
    """Load a config for benchmarking, as ``tools/train.py`` would.

    Args:
        path (str): Config file.
        cfg_options (dict, optional): Overrides. Defaults to None.
        batch_size (int, optional): Override of
            ``train_dataloader.batch_size``. Defaults to None.
        amp (bool): Use ``AmpOptimWrapper``. Defaults to False.
        work_dir (str, optional): The Runner's work dir. Defaults to None.

    Returns:
        Config: The config, with no checkpoint hook, no validation or test
        and log level WARNING.

    Raises:
        FileNotFoundError: If the config file does not exist.
        ValueError: If the config has no ``train_dataloader``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path!r} does not exist')
    cfg = Config.fromfile(path)
    train = _load_train_module()
    # train.py's defaults (robust to new options), then ours
    args = train.parse_args([path])
    args.launcher = 'none'
    args.cfg_options = cfg_options or None
    args.work_dir = work_dir
    args.amp = amp
    args.auto_scale_lr = False
    args.no_validate = True
    args.resume = None
    cfg = train.merge_args(cfg, args)
    if cfg.get('train_dataloader', None) is None:
        raise ValueError(
            f'{path} has no train_dataloader: there is nothing to train, so '
            'nothing to benchmark (is it a test-only config?)')
    if cfg.get('train_cfg', None) is None:
        raise ValueError(f'{path} has no train_cfg')
    if batch_size is not None:
        cfg.train_dataloader.batch_size = batch_size
    if cfg.get('default_hooks', None) is not None:
        cfg.default_hooks.checkpoint = None
    cfg.log_level = 'WARNING'
    # test_* stay: the Runner builds them lazily (never, here), and hooks
    # such as QuESTVocabularyHook read the deterministic test pipeline
    return cfg


# ---------------------------------------------------------------- memory ---


def _proc_status_kb(field):
    """A ``kB`` field of ``/proc/self/status`` (None if unreadable)."""
    try:
        with open('/proc/self/status') as f:
            match = re.search(rf'^{field}:\s+(\d+)\s+kB', f.read(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _reset_peak_rss():
    """Reset ``VmHWM`` to the current RSS; False if the kernel refuses."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return False
    return True


def _malloc_trim():
    """Give the C allocator's free memory back to the OS (glibc only).

    Returns:
        bool: Whether ``malloc_trim`` could be called.
    """
    try:
        import ctypes
        libc = ctypes.CDLL('libc.so.6')
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


def _rss_mb():
    rss = _proc_status_kb('VmRSS')
    return None if rss is None else rss * 1024 / MB


def _peak_rss_mb():
    """Peak RSS in MB (``VmHWM``, or ``ru_maxrss`` without ``/proc``)."""
    hwm = _proc_status_kb('VmHWM')
    if hwm is None:
        import resource
        hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return hwm * 1024 / MB


# ---------------------------------------------------------------- worker ---


def _stats_ms(seconds):
    """Median, quartiles and more of a list of durations, in ms."""
    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    q1, median, q3 = np.percentile(ms, [25, 50, 75])
    return dict(
        median=float(median),
        q1=float(q1),
        q3=float(q3),
        iqr=float(q3 - q1),
        mean=float(ms.mean()),
        min=float(ms.min()),
        max=float(ms.max()),
        all=[float(x) for x in ms])


def count_params(model):
    """Parameter counts of a model, and of its student if it distils.

    Args:
        model (nn.Module): The model (a model wrapper is unwrapped).

    Returns:
        dict: ``student`` and ``student_trainable`` (the architecture of a
        distillation algorithm, else the model itself), ``trainable``
        (``requires_grad=True`` in the whole model: student, connectors,
        learnable losses) and ``total`` (including a frozen teacher).
    """
    from mmengine.model import is_model_wrapper
    if is_model_wrapper(model):
        model = model.module
    student = getattr(model, 'architecture', None)
    if not isinstance(student, torch.nn.Module):
        student = model

    def count(module, trainable_only):
        return sum(p.numel() for p in module.parameters()
                   if p.requires_grad or not trainable_only)

    return dict(
        student=count(student, False),
        student_trainable=count(student, True),
        trainable=count(model, True),
        total=count(model, False))


def _batch_len(data_batch):
    """Number of samples in a batch (None if it cannot tell)."""
    if isinstance(data_batch, dict):
        for key in ('inputs', 'data_samples'):
            value = data_batch.get(key)
            if isinstance(value, (list, tuple, torch.Tensor)):
                return len(value)
    if isinstance(data_batch, (list, tuple)):
        return len(data_batch)
    return None


class _FullBatches:
    """Cycle a dataloader, yielding only batches of ``batch_size`` samples.

    Args:
        dataloader (DataLoader): The train dataloader.
        batch_size (int): The configured batch size.
    """

    def __init__(self, dataloader, batch_size):
        self.dataloader = dataloader
        self.batch_size = batch_size
        self.skipped = 0
        self.epochs = 0
        self._iter = None
        self._yielded_this_epoch = 0

    def next(self):
        """The next full batch (restarts the dataloader as needed)."""
        while True:
            if self._iter is None:
                set_epoch = getattr(self.dataloader.sampler, 'set_epoch',
                                    None)
                if set_epoch is not None:
                    set_epoch(self.epochs)
                self._iter = iter(self.dataloader)
                self._yielded_this_epoch = 0
            try:
                batch = next(self._iter)
            except StopIteration:
                self._iter = None
                self.epochs += 1
                if self._yielded_this_epoch == 0:
                    raise RuntimeError(
                        'the train dataloader gives no batch of '
                        f'{self.batch_size} samples (is the data set '
                        'smaller than the batch size?)')
                continue
            size = _batch_len(batch)
            if size is not None and size != self.batch_size:
                self.skipped += 1
                continue
            self._yielded_this_epoch += 1
            return batch


def measure(cfg, iters, warmup, threads=None):
    """Build the Runner of ``cfg`` and time its train steps, in-process.

    Args:
        cfg (Config): A config from :func:`load_config` (with ``work_dir``).
        iters (int): Timed iterations.
        warmup (int): Untimed iterations before them.
        threads (int, optional): ``torch.set_num_threads``. Defaults to
            None (torch's default).

    Returns:
        dict: The measurements (times in ms, memory in MB).
    """
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    if threads:
        torch.set_num_threads(threads)
    cuda = torch.cuda.is_available()
    gc.collect()
    baseline_rss = _rss_mb()

    start = time.perf_counter()
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    # the first half of Runner.train(), without the loop
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)
    if runner.param_schedulers is not None:
        runner.param_schedulers = runner.build_param_scheduler(
            runner.param_schedulers)
    build_time = time.perf_counter() - start

    start = time.perf_counter()
    runner.call_hook('before_run')
    runner._init_model_weights()
    runner.load_or_resume()
    runner.optim_wrapper.initialize_count_status(
        runner.model, runner.train_loop.iter, runner.train_loop.max_iters)
    runner._maybe_compile('train_step')
    runner.call_hook('before_train')
    if cuda:
        torch.cuda.synchronize()
    setup_time = time.perf_counter() - start

    model = runner.model
    model.train()
    optim_wrapper = runner.optim_wrapper
    message_hub = runner.message_hub
    batch_size = cfg.train_dataloader.batch_size
    batches = _FullBatches(runner.train_loop.dataloader, batch_size)

    def step(i):
        t0 = time.perf_counter()
        data_batch = batches.next()
        t1 = time.perf_counter()
        message_hub.update_info('iter', i)
        model.train_step(data_batch, optim_wrapper=optim_wrapper)
        if cuda:
            torch.cuda.synchronize()
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1

    warmup_steps = [step(i)[1] for i in range(warmup)]

    gc.collect()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        cuda_before = torch.cuda.memory_allocated() / MB
    # without this, memory freed by the warm-up stays resident and the
    # timed steps re-use it unseen
    trimmed = _malloc_trim()
    rss_before = _rss_mb()
    peak_reset = _reset_peak_rss()
    hwm_before = _peak_rss_mb()

    data_times, step_times = [], []
    for i in range(warmup, warmup + iters):
        data_time, step_time = step(i)
        data_times.append(data_time)
        step_times.append(step_time)

    peak_rss = _peak_rss_mb()
    if peak_reset and rss_before is not None:
        cpu_growth = peak_rss - rss_before
        cpu_method = ('VmHWM after the timed iterations (reset through '
                      '/proc/self/clear_refs after the warm-up) - VmRSS '
                      'before them' +
                      (', after malloc_trim(0)' if trimmed else ''))
    else:
        # without a reset, only a peak above the earlier one shows
        cpu_growth = max(0.0, peak_rss - hwm_before)
        cpu_method = ('peak RSS after the timed iterations - peak RSS '
                      'before them (no reset possible: a lower bound)')
    memory = dict(
        rss_baseline_mb=baseline_rss,
        rss_before_timed_mb=rss_before,
        peak_rss_timed_mb=peak_rss if peak_reset else None,
        # model, optimizer state, data set, allocator caches and activations
        peak_rss_over_baseline_mb=(peak_rss - baseline_rss if peak_reset
                                   and baseline_rss is not None else None),
        process_peak_rss_mb=_process_max_rss_mb(),
        cpu_peak_rss_growth_mb=cpu_growth,
        malloc_trim=trimmed,
        cpu_method=cpu_method)
    if cuda:
        peak = torch.cuda.max_memory_allocated() / MB
        memory.update(
            kind='cuda_max_memory_allocated',
            peak_mb=peak,
            cuda_allocated_before_timed_mb=cuda_before,
            method='torch.cuda.max_memory_allocated() over the timed '
            'iterations (after torch.cuda.reset_peak_memory_stats())')
    else:
        memory.update(
            kind='cpu_peak_rss_growth', peak_mb=cpu_growth, method=cpu_method)

    step_stats = _stats_ms(step_times)
    return dict(
        batch_size=batch_size,
        iters=iters,
        warmup=warmup,
        device='cuda' if cuda else 'cpu',
        amp=type(optim_wrapper).__name__ == 'AmpOptimWrapper',
        optim_wrapper=type(optim_wrapper).__name__,
        model=type(_unwrap(model)).__name__,
        params=count_params(model),
        step_time_ms=step_stats,
        data_time_ms=_stats_ms(data_times),
        warmup_step_time_ms=[t * 1e3 for t in warmup_steps],
        images_per_s=batch_size / (step_stats['median'] / 1e3),
        memory=memory,
        build_time_s=build_time,
        setup_time_s=setup_time,
        skipped_incomplete_batches=batches.skipped,
        torch_threads=torch.get_num_threads(),
        torch_interop_threads=torch.get_num_interop_threads(),
        cuda_device=torch.cuda.get_device_name() if cuda else None)


def _unwrap(model):
    from mmengine.model import is_model_wrapper
    return model.module if is_model_wrapper(model) else model


def _process_max_rss_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def run_worker(job_path):
    """Worker entry: read the job, measure, write the JSON result.

    Args:
        job_path (str): A pickle written by :func:`run_config`.
    """
    with open(job_path, 'rb') as f:
        job = pickle.load(f)
    cfg = load_config(
        job['config'],
        cfg_options=job['cfg_options'],
        batch_size=job['batch_size'],
        amp=job['amp'],
        work_dir=job['work_dir'])
    result = measure(cfg, job['iters'], job['warmup'], job['threads'])
    with open(job['out'], 'w') as f:
        json.dump(result, f)


# ---------------------------------------------------------------- parent ---


def machine_info(device='cpu'):
    """The machine and software the numbers were measured on.

    Args:
        device (str): ``cpu`` or ``cuda``.

    Returns:
        dict: CPU model, cores, torch version and threads, GPU name.
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            match = re.search(r'^model name\s*:\s*(.+)$', f.read(), re.M)
        if match:
            cpu = match.group(1).strip()
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = dict(
        cpu=cpu,
        cpu_count=os.cpu_count(),
        usable_cores=usable,
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
        omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
        python=platform.python_version(),
        platform=platform.platform(),
        device=device,
        gpu=None)
    if device == 'cuda' and torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name()
        info['cuda'] = torch.version.cuda
    return info


def _load_avg():
    """The 1-minute load average (None where the OS has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def run_config(config, cfg_options, args, device, work_dir):
    """Measure one config in a worker process.

    Args:
        config (str): Config file.
        cfg_options (dict): The overrides for this config.
        args (argparse.Namespace): The parsed command line.
        device (str): ``cpu`` or ``cuda``.
        work_dir (str): The worker's work dir.

    Returns:
        dict: The worker's measurements.
    """
    tmp = tempfile.mkdtemp(prefix='mmkd_benchmark_job_')
    try:
        job = dict(
            config=config,
            cfg_options=cfg_options,
            batch_size=args.batch_size,
            amp=args.amp,
            iters=args.iters,
            warmup=args.warmup,
            threads=args.threads,
            work_dir=work_dir,
            out=osp.join(tmp, 'result.json'))
        job_path = osp.join(tmp, 'job.pkl')
        with open(job_path, 'wb') as f:
            pickle.dump(job, f)
        env = dict(os.environ)
        if device == 'cpu':
            env['CUDA_VISIBLE_DEVICES'] = ''
        # the worker's output (warnings) goes to our stderr: our stdout is
        # the report
        try:
            stderr = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            stderr = None  # a captured sys.stderr: inherit the real one
        proc = subprocess.run(
            [sys.executable, osp.abspath(__file__), config, '--worker',
             job_path],
            env=env,
            stdout=stderr if stderr is not None else subprocess.DEVNULL,
            stderr=stderr)
        if proc.returncode != 0 or not osp.isfile(job['out']):
            raise RuntimeError(
                f'the benchmark worker for {config} failed (exit code '
                f'{proc.returncode}); its error is printed above')
        with open(job['out']) as f:
            return json.load(f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def config_names(configs):
    """Short names (file names without ``.py``), or paths if they clash."""
    names = [osp.splitext(osp.basename(c))[0] for c in configs]
    return names if len(set(names)) == len(names) else list(configs)


def compare(results):
    """Ratios of the second result over the first.

    Args:
        results (list[dict]): Two results.

    Returns:
        dict: ``step_time_ratio``, ``memory_ratio`` (None if the first
        memory is zero) and ``rss_over_baseline_ratio`` (CPU, or None).
    """
    first, second = results
    mem1, mem2 = first['memory']['peak_mb'], second['memory']['peak_mb']
    rss1 = first['memory'].get('peak_rss_over_baseline_mb')
    rss2 = second['memory'].get('peak_rss_over_baseline_mb')
    return dict(
        numerator=second['name'],
        denominator=first['name'],
        step_time_ratio=(second['step_time_ms']['median'] /
                         first['step_time_ms']['median']),
        memory_ratio=mem2 / mem1 if mem1 > 0 else None,
        rss_over_baseline_ratio=(rss2 / rss1 if rss1 and rss2 is not None
                                 else None))


def _fmt_int(n):
    return f'{n:,}'


def _fmt_mb(value):
    return '-' if value is None else f'{value:.1f}'


def format_report(report):
    """The markdown report: machine, table, notes and ratios.

    Args:
        report (dict): The result of :func:`benchmark`.

    Returns:
        str: Markdown text.
    """
    m = report['machine']
    results = report['results']
    first = results[0]
    lines = [
        f'Machine: {m["cpu"]}, {m["usable_cores"]} usable cores '
        f'(of {m["cpu_count"]}), torch {m["torch"]}, '
        f'{first["torch_threads"]} torch threads, '
        f'python {m["python"]}' + (f', GPU {m["gpu"]}' if m['gpu'] else ''),
        f'Device: {first["device"]}' + (' (AMP)' if first['amp'] else '') +
        f'; {first["warmup"]} warm-up + {first["iters"]} timed iterations '
        'per config, each config in its own process, one after the other.',
        '',
        '| config | student params | trainable params | total params | '
        'batch | step time median (ms) | step time IQR (ms) | '
        'data time median (ms) | images/s | peak memory (MB) | '
        'peak RSS over pre-build RSS (MB) | setup time (s) |',
        '|' + '---|' * 12,
    ]
    for r in results:
        p = r['params']
        st = r['step_time_ms']
        lines.append(
            f'| {r["name"]} | {_fmt_int(p["student"])} | '
            f'{_fmt_int(p["trainable"])} | {_fmt_int(p["total"])} | '
            f'{r["batch_size"]} | {st["median"]:.2f} | '
            f'{st["q1"]:.2f}-{st["q3"]:.2f} ({st["iqr"]:.2f}) | '
            f'{r["data_time_ms"]["median"]:.2f} | '
            f'{r["images_per_s"]:.1f} | {r["memory"]["peak_mb"]:.1f} | '
            f'{_fmt_mb(r["memory"].get("peak_rss_over_baseline_mb"))} | '
            f'{r["setup_time_s"]:.2f} |')
    lines += [
        '',
        'Step time: model.train_step (data preprocessor, forward, losses, '
        'backward, optimizer step); loading the batch is not included (data '
        'time). images/s = batch / median step time. Setup time (before_run '
        'and before_train hooks, weight init) is excluded.',
        f'Peak memory: {first["memory"]["method"]}. Peak RSS over pre-build '
        'RSS: the peak RSS of the timed iterations minus the RSS before the '
        'Runner was built (model, optimizer state, data set, activations).',
    ]
    if m.get('load_avg_1min') is not None:
        before, after = m['load_avg_1min']
        lines.append(f'1-minute load average before/after: {before:.2f}/'
                     f'{after:.2f} on {m["usable_cores"]} cores.')
        if max(before, after) > m['usable_cores']:
            lines.append(
                'Note: other processes competed for the CPU during the run; '
                'the step times (and even their ratio: threads that wait '
                'for each other suffer most) are unreliable. Re-run on a '
                'quiet machine, or with --threads 1.')
    lines += report['notes']
    if report.get('comparison'):
        c = report['comparison']
        mem = ('n/a' if c['memory_ratio'] is None else
               f'{c["memory_ratio"]:.2f}')
        lines += [
            '',
            f'{c["numerator"]} / {c["denominator"]} step-time ratio: '
            f'{c["step_time_ratio"]:.2f}, memory ratio {mem}'
        ]
        if c.get('rss_over_baseline_ratio') is not None:
            lines.append(f'{c["numerator"]} / {c["denominator"]} peak RSS '
                         'over pre-build RSS ratio: '
                         f'{c["rss_over_baseline_ratio"]:.2f}')
    return '\n'.join(lines)


def benchmark(args, parser=None):
    """Measure the configs of the parsed command line and compare them.

    Args:
        args (argparse.Namespace): From :func:`parse_args`.
        parser (argparse.ArgumentParser, optional): For usage errors.

    Returns:
        dict: ``machine``, ``results`` (one per config), ``comparison``
        (two configs) and ``notes``.
    """

    def error(msg):
        if parser is not None:
            parser.error(msg)
        raise ValueError(msg)

    configs = [c for c in (args.config, args.config2) if c]
    for config in configs:
        if not osp.isfile(config):
            error(f'config file {config!r} does not exist')
    if args.iters < 1 or args.warmup < 0:
        error('--iters must be >= 1 and --warmup >= 0')
    if args.batch_size is not None and args.batch_size < 1:
        error('--batch-size must be >= 1')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cuda' and not torch.cuda.is_available():
        error('--device cuda, but torch sees no CUDA GPU (torch '
              f'{torch.__version__}, CUDA build: {torch.version.cuda}); '
              'use --device cpu')
    if args.amp and device != 'cuda':
        error("--amp needs --device cuda (mmengine's AmpOptimWrapper does "
              'not run on CPUs)')

    load_before = _load_avg()
    names = config_names(configs)
    per_cfg, notes = split_cfg_options(
        args.cfg_options, [Config.fromfile(c) for c in configs], names)
    # fail here, before any worker starts, on a config that cannot train
    for config, options in zip(configs, per_cfg):
        load_config(config, options, args.batch_size, args.amp)

    results = []
    for config, name, options in zip(configs, names, per_cfg):
        if args.work_dir:
            work_dir, tmp = osp.join(args.work_dir, name), None
        else:
            tmp = tempfile.mkdtemp(prefix='mmkd_benchmark_')
            work_dir = tmp
        try:
            result = run_config(config, options, args, device, work_dir)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
        result.update(
            config=config,
            name=name,
            cfg_options=dict(options),
            work_dir=None if tmp else work_dir)
        results.append(result)

    machine = machine_info(device)
    machine['load_avg_1min'] = (None if load_before is None else
                                [load_before, _load_avg()])
    report = dict(
        machine=machine,
        results=results,
        comparison=compare(results) if len(results) == 2 else None,
        notes=notes)
    return report


def main(argv=None):
    """Run the benchmark (or, with ``--worker``, one measurement).

    Args:
        argv (list[str], optional): The arguments. Defaults to
            ``sys.argv[1:]``.

    Returns:
        dict | None: The report (None in a worker).
    """
    parser, args = parse_args(argv)
    if args.worker:
        run_worker(args.worker)
        return None
    report = benchmark(args, parser)
    report['command'] = ['tools/analysis/benchmark.py'] + list(
        sys.argv[1:] if argv is None else argv)
    print(format_report(report))
    if args.out:
        out_dir = osp.dirname(osp.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=2, default=str)
        print(f'\nResults written to {args.out}')
    return report


if __name__ == '__main__':
    main()
