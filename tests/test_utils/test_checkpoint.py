# Copyright (c) OpenMMLab. All rights reserved.
"""One safe, strict loader for every checkpoint file mmkd_plus reads: a
file that is no checkpoint, a damaged one and a class outside the
allow-list each give one message naming the key; a file carrying code is
refused without running it; never an advice to turn ``weights_only``
off."""
import os
import os.path as osp
import pickle

import pytest
import torch

from mmkd_plus.utils import (CheckpointGlobalError, CorruptCheckpointError,
                             checkpoint_problem, load_checkpoint_file,
                             other_checkpoints)

HTML = (b'<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>'
        b'<body>Not Found</body></html>\n')


class _Payload:
    """Unpickling this runs a shell command (what a malicious file does)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def _write(path, data: bytes) -> str:
    with open(path, 'wb') as f:
        f.write(data)
    return str(path)


def _no_unsafe_advice(message: str) -> None:
    assert 'weights_only=False' not in message
    assert 'weights_only set to False' not in message


def test_web_page_is_not_a_checkpoint(tmp_path):
    path = _write(tmp_path / 'resnet34.pth', HTML)
    assert 'web page' in checkpoint_problem(path)
    with pytest.raises(CorruptCheckpointError) as err:
        load_checkpoint_file(path, 'model.teacher_ckpt', 'Download it again.')
    msg = str(err.value)
    assert msg.startswith(
        f"model.teacher_ckpt: the checkpoint {osp.abspath(path)!r} cannot "
        'be read: it is a web page')
    assert "'<!DOCTYPE html>" in msg and msg.endswith('Download it again.')
    _no_unsafe_advice(msg)


@pytest.mark.parametrize('data', [
    b'\x00\x13random bytes\xff\xfe' * 50,  # no known format
    b'\x80\x02random pickle-looking bytes' * 20,  # pickle magic, garbage
    b'plain text, not a checkpoint\n',
])
def test_other_non_checkpoints(tmp_path, data):
    path = _write(tmp_path / 'x.pth', data)
    with pytest.raises(CorruptCheckpointError) as err:
        load_checkpoint_file(path, 'load_from')
    msg = str(err.value)
    assert msg.startswith(f'load_from: the checkpoint {osp.abspath(path)!r}')
    _no_unsafe_advice(msg)


def test_a_class_outside_the_allow_list_is_named(tmp_path):
    from argparse import Namespace
    path = str(tmp_path / 'ckpt.pth')
    torch.save(dict(state_dict={'w': torch.ones(2)}, args=Namespace(a=1)),
               path)
    assert checkpoint_problem(path) is None  # a real checkpoint
    with pytest.raises(CheckpointGlobalError) as err:
        load_checkpoint_file(path, 'model.teacher_ckpt')
    msg = str(err.value)
    assert "class 'argparse.Namespace'" in msg
    # torch >= 2.4 can allow one class; torch 1.13 cannot
    assert ('add_safe_globals([argparse.Namespace])' in msg) == hasattr(
        torch.serialization, 'add_safe_globals')
    assert 'state_dict()' in msg
    _no_unsafe_advice(msg)


def test_code_in_a_checkpoint_is_not_run(tmp_path):
    marker = str(tmp_path / 'payload_ran')
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': _Payload(marker)},
               path)
    with pytest.raises(CheckpointGlobalError,
                       match=r"a call of '(posix|os)\.system'.*nothing ran"
                       r'.*Do not load this file') as err:
        load_checkpoint_file(path, '--resume')
    assert 'add_safe_globals' not in str(err.value)
    assert not osp.exists(marker)
    # the legacy (non-zip) format too
    legacy = str(tmp_path / 'evil_legacy.pth')
    torch.save({'x': _Payload(marker)}, legacy,
               _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointGlobalError):
        load_checkpoint_file(legacy, '--resume')
    assert not osp.exists(marker)
    # the payload is real: plain pickle runs it
    with open(legacy, 'rb') as f:
        pickle.load(f)  # the magic number
        pickle.load(f)  # the protocol version
        pickle.load(f)  # the sys info
        pickle.load(f)  # the object: runs `touch`
    assert osp.exists(marker)


@pytest.fixture(params=['this torch', 'restricted unpickler'])
def loader(request, monkeypatch):
    """The loader of this torch, and the restricted unpickler that torch
    < 2.4 (the MMRazor deployments) uses, tested here on any torch."""
    restricted = request.param == 'restricted unpickler' or not hasattr(
        torch.serialization, 'add_safe_globals')
    if request.param == 'restricted unpickler':
        from mmkd_plus.utils import checkpoint
        monkeypatch.setattr(checkpoint, '_safe_load',
                            checkpoint._restricted_load)

    def load(*args, **kwargs):
        return load_checkpoint_file(*args, **kwargs)

    load.restricted = restricted
    return load


def test_both_loaders_refuse_code(tmp_path, loader):
    marker = str(tmp_path / 'payload_ran')
    for name, new_format in (('zip.pth', True), ('legacy.pth', False)):
        path = str(tmp_path / name)
        torch.save({'x': _Payload(marker)}, path,
                   _use_new_zipfile_serialization=new_format)
        with pytest.raises(CheckpointGlobalError, match='nothing ran'):
            loader(path, 'model.teacher_ckpt')
    assert not osp.exists(marker)


def test_mmengine_checkpoint_loads(tmp_path, loader):
    """A training checkpoint (message hub with numpy values) loads with the
    allow-list, by both loaders."""
    import numpy as np
    from mmengine.logging import HistoryBuffer
    buffer = HistoryBuffer()
    buffer.update(np.float64(1.5))
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(
        dict(meta=dict(epoch=1, hub=dict(loss=buffer), seed=np.int64(3)),
             state_dict={'w': torch.ones(2)}), path)
    loaded = loader(path, 'load_from')
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))
    assert loaded['meta']['hub']['loss'].current() == 1.5


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'vocab_file=.*nope\.pth.* '
                       r'does not exist\. Build it'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'), 'vocab_file',
                             'Build it.')


def test_other_checkpoints_lists_only_readable_files(tmp_path):
    good = str(tmp_path / 'epoch_1.pth')
    torch.save({'w': torch.ones(1)}, good)
    _write(tmp_path / 'epoch_2.pth', HTML)
    truncated = open(good, 'rb').read()
    _write(tmp_path / 'epoch_3.pth', truncated[:len(truncated) // 2])
    broken = _write(tmp_path / 'epoch_4.pth', b'')
    assert other_checkpoints(broken) == [good]
    with pytest.raises(CorruptCheckpointError) as err:
        load_checkpoint_file(broken, '--resume')
    assert f'newest first: {good}.' in str(err.value)
    assert 'epoch_2' not in str(err.value)


class _Gadget:
    """``getattr`` on an allowed class to reach something callable."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return getattr, (HistoryBuffer, '__init__')


def test_restricted_getattr_reaches_only_statistics(tmp_path, loader):
    path = str(tmp_path / 'gadget.pth')
    torch.save({'x': _Gadget()}, path)
    if not loader.restricted:
        # torch >= 2.4: its unpickler may look the attribute up (getattr is
        # allow-listed for numpy) but calls only allow-listed functions
        from mmengine.logging import HistoryBuffer
        assert loader(path, 'load_from')['x'] is HistoryBuffer.__init__
        return
    with pytest.raises(CheckpointGlobalError, match='getattr'):
        loader(path, 'load_from')
