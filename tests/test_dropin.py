# Copyright (c) OpenMMLab. All rights reserved.
"""Drop-in use in an MMRazor deployment, as its users run it.

A config in a folder of the deployment's own inherits one of ours through
an absolute ``_base_`` path into the installed package's ``.mim`` copy, and
MMRazor's own installed ``tools/train.py`` trains it from that folder: KD,
QuEST and CRD on the digits in one process, QuEST and CRD in two CPU DDP
processes (gloo). On torch <= 1.13 MMRazor's script runs as it is; on torch
2 it runs through ``python -m mmkd_plus``. ``make test-legacy`` runs this
file in a torch 1.13.1 deployment.
"""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from kd_test_utils import free_port, short_run_options

import mmkd_plus

pytestmark = pytest.mark.slow

TORCH2 = int(torch.__version__.split('.')[0]) >= 2
CONFIGS = {
    'kd': 'baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py',
    'quest': 'quest/quest_layer3_resnet20_resnet8_1xb64_digits.py',
    'crd': 'baselines/crd/crd_neck_resnet20_resnet8_1xb64_digits.py',
}
LOSS_KEYS = {
    'kd': 'distill.loss_kd',
    'quest': 'distill.loss_quest',
    'crd': 'distill.loss_crd'
}


def installed_config(relpath: str) -> str:
    """The installed copy (``mmkd_plus/.mim/configs``) of one of ours."""
    path = osp.join(
        osp.dirname(mmkd_plus.__file__), '.mim', 'configs', relpath)
    assert osp.isfile(path), f'{path} missing: reinstall mmkd_plus'
    return path


def mmrazor_train_command() -> list:
    import mmrazor
    script = osp.join(osp.dirname(mmrazor.__file__), '.mim', 'tools',
                      'train.py')
    assert osp.isfile(script)
    return ['-m', 'mmkd_plus', script] if TORCH2 else [script]


def write_own_config(folder: str, method: str) -> str:
    """A deployment's config that inherits ours and changes one value."""
    path = osp.join(folder, f'my_{method}.py')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{installed_config(CONFIGS[method])!r}]\n'
                'randomness = dict(seed=1)\n')
    return path


def method_options(method: str, digits_root: str, work: str,
                   teacher: str) -> list:
    opts = short_run_options(digits_root, work, max_epochs=1, num_train=64)
    opts.append(f'model.teacher_ckpt={teacher}')
    if method == 'quest':
        opts += [
            'model.distiller.connectors.quest_head.num_words=16',
            'model.distiller.distill_losses.loss_quest.num_words=16',
            'custom_hooks.0.batch_size=16'
        ]
    elif method == 'crd':
        # the CRD wrapper holds the digits one level further down
        opts = [o for o in opts if not o.startswith('train_dataloader.data')]
        opts += [
            f'train_dataloader.dataset.dataset.data_root={digits_root}',
            'train_dataloader.dataset.dataset.indices=64',
            'train_dataloader.dataset.num_negatives=16',
            'model.distiller.distill_losses.loss_crd.num_negatives=16'
        ]
    return opts


def run(command: list, cwd: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('PYTHONPATH', None)  # the installed package, not the checkout
    proc = subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, env=env,
        timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    return log


@pytest.mark.parametrize('method', ['kd', 'quest', 'crd'])
def test_mmrazor_train_runs_our_config_from_elsewhere(
        method, digits_root, digits_teacher_ckpt, tmp_path):
    config = write_own_config(str(tmp_path), method)
    work = str(tmp_path / 'work')
    log = run([
        sys.executable, *mmrazor_train_command(), config, '--cfg-options',
        *method_options(method, digits_root, work, digits_teacher_ckpt)
    ], cwd=str(tmp_path))
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    assert LOSS_KEYS[method] in log
    assert 'seed: 1' in log  # the deployment's own value won


@pytest.mark.parametrize('method', ['quest', 'crd'])
def test_two_process_cpu_ddp(method, digits_root, digits_teacher_ckpt,
                             tmp_path):
    config = write_own_config(str(tmp_path), method)
    work = str(tmp_path / 'work')
    opts = method_options(method, digits_root, work, digits_teacher_ckpt)
    vocab = str(tmp_path / 'vocab_rank{rank}.pth')
    if method == 'quest':
        opts.append(f'custom_hooks.0.save_vocab_file={vocab}')
    log = run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}', *mmrazor_train_command(), config,
        '--launcher', 'pytorch', '--cfg-options', *opts
    ], cwd=str(tmp_path))
    assert 'Distributed training: True' in log
    assert LOSS_KEYS[method] in log
    state = torch.load(
        osp.join(work, 'epoch_1.pth'), map_location='cpu')['state_dict']
    if method == 'quest':
        v0 = torch.load(vocab.format(rank=0), map_location='cpu')['vocab']
        v1 = torch.load(vocab.format(rank=1), map_location='cpu')['vocab']
        assert torch.equal(v0, v1)
        key = 'distiller.distill_losses.loss_quest.vocab'
        assert torch.equal(state[key], v0)
        assert state[key + '_ready'].dtype == torch.uint8
    else:
        z_set = state['distiller.distill_losses.loss_crd.memory.z_set']
        assert z_set.dtype == torch.uint8 and int(z_set) == 1
