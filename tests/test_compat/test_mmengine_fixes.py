# Copyright (c) OpenMMLab. All rights reserved.
"""The fixes of MMEngine (#3, #5, #6, #17), each shown failing without it.
"""
import gc
import io
import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from kd_test_utils import free_port

from mmkd_plus import compat


# STACK #3 -------------------------------------------------------------------
def _mmengine_like_checkpoint() -> bytes:
    from mmengine.logging.history_buffer import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    ckpt = dict(
        meta=dict(epoch=np.int64(3), lr=np.float64(0.1)),
        message_hub=dict(log_scalars={'train/loss': buf}),
        state_dict={'w': torch.ones(2)})
    stream = io.BytesIO()
    torch.save(ckpt, stream)
    return stream.getvalue()


def test_weights_only_load_of_mmengine_checkpoint():
    data = _mmengine_like_checkpoint()
    if not hasattr(torch.serialization, 'add_safe_globals'):
        # torch < 2.4 (mmengine loads with weights_only=False): no fix
        assert 'allow_mmengine_checkpoint_globals' not in compat.ORIGINALS
        ckpt = torch.load(io.BytesIO(data))
        assert ckpt['meta']['epoch'] == 3
        return
    allowed = compat.ORIGINALS['allow_mmengine_checkpoint_globals']
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(Exception, match='HistoryBuffer|Unsupported'):
            torch.load(io.BytesIO(data), weights_only=True)
    finally:
        torch.serialization.add_safe_globals(allowed)
    ckpt = torch.load(io.BytesIO(data), weights_only=True)
    assert ckpt['meta']['epoch'] == 3
    assert ckpt['message_hub']['log_scalars']['train/loss'].current() == 1.5
    # anything else is still refused by the safe loader
    stream = io.BytesIO()
    torch.save({'f': socket.socket}, stream)
    with pytest.raises(Exception, match='socket'):
        torch.load(io.BytesIO(stream.getvalue()), weights_only=True)


# STACK #5, #6, #7 -----------------------------------------------------------


def _single_process_env() -> dict:
    """What ``torchrun`` sets for a one-process run, on a free port."""
    return dict(
        RANK='0',
        WORLD_SIZE='1',
        LOCAL_RANK='0',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(free_port()))


@contextmanager
def _single_process_group(init):
    env = _single_process_env()
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        # a collective that cannot finish fails in two minutes, not in
        # torch's default thirty, and fails as an error of this test
        init('nccl', timeout=timedelta(seconds=120))
        yield
    finally:
        gc.collect()  # what holds the group goes before the group
        if dist.is_initialized():
            dist.destroy_process_group()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_cpu_distributed_init_uses_gloo():
    import mmengine.dist.utils as dist_utils
    upstream = compat.ORIGINALS['fix_cpu_distributed_init']
    with pytest.raises((AttributeError, RuntimeError, AssertionError)):
        with _single_process_group(upstream):
            pass
    with _single_process_group(dist_utils._init_dist_pytorch):
        assert dist.get_backend() == 'gloo'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_cpu_ddp_wrap():
    import mmengine.dist.utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    upstream_init = compat.ORIGINALS['fix_cpu_ddp_device_ids']
    with _single_process_group(dist_utils._init_dist_pytorch):
        model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
        ddp = object.__new__(MMDistributedDataParallel)
        with pytest.raises(ValueError, match='device_ids'):
            upstream_init(ddp, module=model, device_ids=[0])
        wrapped = MMDistributedDataParallel(module=model, device_ids=[0])
        assert wrapped.device_ids is None
        assert wrapped(torch.randn(2, 3, 4, 4)).shape == (2, 4, 4, 4)
        del ddp, wrapped


# STACK #17 ------------------------------------------------------------------
# a process group started on CPUs, a DDP wrapper left in a reference cycle as
# a training script leaves it, and the exit handlers run
RELEASE_AT_EXIT = """
import atexit, gc, weakref
import torch.distributed as dist
import torch.nn as nn
import mmkd_plus  # applies the fixes
from mmengine.dist import init_dist
from mmengine.model import MMDistributedDataParallel

{init}
gc.disable()  # the cycle stays until something collects it
holder = [MMDistributedDataParallel(module=nn.Linear(2, 2))]
holder.append(holder)
wrapper = weakref.ref(holder[0])
del holder
print('before', dist.is_initialized(), wrapper() is not None)
atexit._run_exitfuncs()
print('after', dist.is_initialized(), wrapper() is not None)
"""


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
@pytest.mark.parametrize(
    'init, released',
    [("init_dist('pytorch', backend='nccl')", True),
     # the same group started without MMEngine's init_dist: nothing
     # releases it, the interpreter's teardown does
     ("dist.init_process_group('gloo')", False)])
def test_cpu_process_group_released_at_exit(init, released):
    env = dict(os.environ, **_single_process_env())
    proc = subprocess.run([sys.executable, '-c',
                           RELEASE_AT_EXIT.format(init=init)],
                          capture_output=True,
                          text=True,
                          env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    after = 'after False False' if released else 'after True True'
    assert lines[-2:] == ['before True True', after]
