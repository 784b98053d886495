# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers shared by the end-to-end tests: short runs on the digits."""
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


#: The digits pair and the demo's methods, as the seeds runners name them.
DIGITS_TEACHER = 'configs/teachers/resnet20_1xb64_digits.py'
DIGITS_STUDENT = 'configs/teachers/resnet8_1xb64_digits.py'
DEMO_METHODS = {
    'kd': 'configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py',
    'quest': 'configs/quest/quest_layer3_resnet20_resnet8_1xb64_digits.py',
    'wcord': 'configs/wcord/wcord_neck_resnet20_resnet8_1xb64_digits.py',
    'sskd': 'configs/sskd/sskd_resnet20_resnet8_1xb64_digits.py',
}
KD_WEIGHT = 'model.distiller.distill_losses.loss_kd.loss_weight'
KD_DIGITS = osp.join(REPO, 'configs', 'baselines', 'kd',
                     'kd_logits_resnet20_resnet8_1xb64_digits.py')
TEACHER_DIGITS = osp.join(REPO, 'configs', 'teachers',
                          'resnet20_1xb64_digits.py')
STUDENT_DIGITS = osp.join(REPO, 'configs', 'teachers',
                          'resnet8_1xb64_digits.py')
CACHED_KD_DIGITS = osp.join(
    REPO, 'configs', 'baselines', 'kd',
    'kd_logits_cached_resnet20_resnet8_1xb64_digits.py')


def short_run_options(digits_root: str,
                      work_dir: str,
                      max_epochs: int = 2,
                      num_train: int = 64,
                      batch_size: int = 16,
                      val: bool = False) -> List[str]:
    """``--cfg-options`` for a short run on the first ``num_train`` digits.

    Epoch-based, as the configs are: ``num_train / batch_size`` iterations
    an epoch, a checkpoint every epoch, validation only at the end when
    ``val`` is set.
    """
    return [
        f'train_dataloader.dataset.data_root={digits_root}',
        f'train_dataloader.dataset.indices={num_train}',
        f'val_dataloader.dataset.data_root={digits_root}',
        f'test_dataloader.dataset.data_root={digits_root}',
        f'train_dataloader.batch_size={batch_size}',
        f'train_cfg.max_epochs={max_epochs}',
        f'train_cfg.val_interval={max_epochs if val else 10 ** 6}',
        f'param_scheduler.T_max={max_epochs}',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=10',
        'default_hooks.logger.interval=1',
        f'work_dir={work_dir}',
    ]


def build_teacher_cache(config: str,
                        options: List[str],
                        epochs: int = 2,
                        args: Optional[List[str]] = None):
    """Run ``tools/cache_teacher.py config --epochs N [args] --cfg-options
    options`` in this process; return its :class:`TeacherCache`."""
    tool = load_tool('cache_teacher.py')
    return tool.main([config, '--epochs',
                      str(epochs), *(args or []), '--cfg-options', *options])


def load_short_cfg(config: str,
                   digits_root: str,
                   work_dir: str,
                   extra: Optional[dict] = None,
                   **kwargs) -> Config:
    """Load ``config`` with :func:`short_run_options` (and ``extra``)."""
    from mmengine.config import DictAction
    cfg = Config.fromfile(config)
    options = {}
    for pair in short_run_options(digits_root, work_dir, **kwargs):
        key, value = pair.split('=', 1)
        options[key] = DictAction._parse_iterable(value)
    options.update(extra or {})
    cfg.merge_from_dict(options)
    os.makedirs(work_dir, exist_ok=True)
    return cfg


def classifier_params(backbone: dict, in_channels: int,
                      num_classes: int = 100) -> int:
    """Parameters of an ``ImageClassifier`` around ``backbone``, with global
    average pooling and a ``num_classes``-way linear head (how the papers'
    tables count a network)."""
    from mmpretrain.registry import MODELS
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=in_channels)))
    return sum(p.numel() for p in model.parameters())


def load_tool(relpath: str):
    """Import a script of ``tools/`` by path (``tools/test.py`` would
    otherwise clash with Python's own ``test`` package)."""
    import importlib.util
    path = osp.join(REPO, 'tools', relpath)
    name = 'mmkd_plus_tool_' + relpath.replace('/', '_')[:-len('.py')]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A free TCP port on the loopback (for torchrun / process groups)."""
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_dist_tool(script: str, *args: str, cwd: str) -> str:
    """Run ``tools/<script>`` (dist_train.sh / dist_test.sh) with the given
    arguments on CPUs, one torch thread per process, a free port; assert it
    succeeded and return its stdout and stderr."""
    import subprocess
    import sys
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()),
               OMP_NUM_THREADS='1')
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', script), *args],
                          capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    return log


def run_script(text: str, tmp_path) -> str:
    """Write ``text`` as a Python script in ``tmp_path`` and run it there
    (argument: ``tmp_path``) with the repository importable and one torch
    thread per process; assert it succeeded and return its output. For the
    tests that spawn their own gloo process group."""
    import subprocess
    import sys
    script = osp.join(str(tmp_path), 'script.py')
    with open(script, 'w') as f:
        f.write(text)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    proc = subprocess.run([sys.executable, script, str(tmp_path)],
                          capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    return log
