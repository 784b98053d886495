# Copyright (c) OpenMMLab. All rights reserved.
"""Loading checkpoint files: one strict, safe loader with clear errors.

Every checkpoint mmkd_plus reads itself (``model.teacher_ckpt``, SSKD's
``model.teacher_ss_ckpt``, QuEST's ``vocab_file``, the files the tools take,
and ``--resume``/``load_from``, checked before MMEngine loads them) goes
through :func:`load_checkpoint_file`:

- a file that is not a checkpoint at all (an HTML page saved by a failed
  download, random bytes, an empty file) or a truncated/damaged one raises
  :class:`CorruptCheckpointError` naming the config key, the path, what is
  wrong and the other readable checkpoints of its folder;
- only tensors, containers and the globals an mmengine checkpoint holds
  (the allow-list of :mod:`mmkd_plus.compat`) are built, so a file
  carrying code (e.g. an ``os.system`` payload) is refused without running
  it: on torch >= 2.4 by ``torch.load(weights_only=True)`` with the
  allow-list registered; on older torch (1.13, the MMRazor deployments),
  whose ``weights_only`` unpickler builds no object but tensors and
  ``OrderedDict`` (so no mmengine checkpoint) and takes no allow-list, by
  a restricted unpickler with the same allow-list (Python's documented
  way to restrict globals) in torch's own readers.
  A real checkpoint holding another class raises
  :class:`CheckpointGlobalError`, which names the class and how to allow
  it safely; never the advice to turn ``weights_only`` off.
"""
import functools
import glob
import os.path as osp
import pickle
import re
import types
import zipfile
from typing import Any, Dict, List, Optional

import torch

__all__ = [
    'CorruptCheckpointError', 'CheckpointGlobalError', 'checkpoint_problem',
    'check_checkpoint_file', 'corrupt_checkpoint_message',
    'other_checkpoints', 'load_checkpoint_file'
]


class CorruptCheckpointError(RuntimeError):
    """A file given as a checkpoint cannot be read as one (not a
    checkpoint, truncated, damaged)."""


class CheckpointGlobalError(RuntimeError):
    """A checkpoint holds a Python class that the safe loader does not
    allow."""


def _is_remote(path: str) -> bool:
    return '://' in str(path)


#: torch.save's two formats: a zip archive (torch >= 1.6) or a pickle
#: (protocol 2, the legacy format)
_ZIP_MAGIC = b'PK\x03\x04'
_PICKLE_MAGIC = b'\x80'


def _describe_start(head: bytes) -> str:
    text = head.lstrip()[:64]
    lower = text.lower()
    if lower.startswith((b'<!doctype html', b'<html', b'<?xml', b'<head')):
        return ('it is a web page (it starts with '
                f'{text[:24].decode("ascii", "replace")!r}), not a '
                'checkpoint: a download that failed saves the error page '
                'under the checkpoint\'s name')
    try:
        decoded = text.decode('utf-8')
    except UnicodeDecodeError:
        decoded = None
    if decoded is not None and decoded.isprintable():
        return (f'it is a text file (it starts with {decoded[:24]!r}), not '
                'a PyTorch checkpoint')
    return (f'it is not a PyTorch checkpoint (its first bytes are '
            f'{head[:8]!r}; torch.save writes a zip archive or a pickle)')


def checkpoint_problem(path: str) -> Optional[str]:
    """Why the file at ``path`` is not a readable checkpoint, or None.

    Checks the format without unpickling: empty, not a zip archive nor a
    pickle (a web page, text, other bytes), a truncated archive (no central
    directory) or a member that fails its checksum.
    """
    size = osp.getsize(path)
    if size == 0:
        return 'the file is empty (0 bytes)'
    with open(path, 'rb') as f:
        head = f.read(256)
    if head.startswith(_PICKLE_MAGIC):
        return None  # the legacy format: torch.load decides
    if not head.startswith(_ZIP_MAGIC):
        return _describe_start(head)
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        return f'the archive is truncated or damaged ({err}; {size} bytes)'
    if bad is not None:
        return f'its member {bad!r} fails its checksum'
    return None


def other_checkpoints(path: str) -> List[str]:
    """The other readable ``*.pth`` files of ``path``'s folder, newest
    first (files that are no checkpoint are left out)."""
    folder = osp.dirname(osp.abspath(path))
    found = [
        p for p in glob.glob(osp.join(folder, '*.pth'))
        if osp.abspath(p) != osp.abspath(path)
        and checkpoint_problem(p) is None
    ]
    return sorted(found, key=osp.getmtime, reverse=True)


def corrupt_checkpoint_message(path: str, key: str, problem: str,
                               fix: str = '') -> str:
    """The message for a file that cannot be read as a checkpoint."""
    others = other_checkpoints(path)
    listing = (' Other checkpoints in its folder, newest first: ' +
               ', '.join(others[:5]) + '.') if others else ''
    cause = ('' if 'not a' in problem or 'web page' in problem else
             ' It was probably cut short (a full disk, an interrupted copy '
             'or a killed run).')
    return (f'{key}: the checkpoint {osp.abspath(path)!r} cannot be read: '
            f'{problem}.{cause}{listing} {fix}').rstrip()


def check_checkpoint_file(path: str, key: str, fix: str = '') -> None:
    """Raise :class:`CorruptCheckpointError` if ``path`` is not a readable
    checkpoint (remote and missing paths are left to the caller).

    Args:
        path (str): A local checkpoint.
        key (str): The config key or option that named it, e.g.
            ``model.teacher_ckpt`` or ``--resume``.
        fix (str): What to do instead; the other checkpoints of the folder
            are listed before it.
    """
    if _is_remote(path) or not osp.isfile(path):
        return
    problem = checkpoint_problem(path)
    if problem is not None:
        raise CorruptCheckpointError(
            corrupt_checkpoint_message(path, key, problem, fix))


# "Unsupported global: GLOBAL argparse.Namespace" (torch >= 2.4),
# "unsupported GLOBAL posix.system whose module posix is blocked" (a module
# torch never allows) or "Unsupported class argparse.Namespace" (torch 1.13)
_GLOBAL = re.compile(r'[Uu]nsupported (?:global: )?(?:GLOBAL|class) ([\w.]+)')
#: modules whose functions run commands or code: never to be allowed
_DANGEROUS = ('os', 'posix', 'nt', 'subprocess', 'builtins', 'sys',
              'shutil', 'runpy', 'importlib', 'pty', 'socket')


@functools.lru_cache(maxsize=1)
def _allowed_globals() -> Dict[str, Any]:
    """torch's own weights-only globals and those of an mmengine
    checkpoint, by their pickled name (for :class:`_RestrictedUnpickler`)."""
    import codecs

    from torch import _weights_only_unpickler

    from mmkd_plus.compat import mmengine_checkpoint_globals
    allowed = dict(_weights_only_unpickler._get_allowed_globals())
    for item in mmengine_checkpoint_globals():
        obj, name = item if isinstance(item, tuple) else (
            item, f'{item.__module__}.{item.__qualname__}')
        allowed[name] = obj
    # a plain Unpickler calls whatever REDUCE finds on its stack, so a free
    # getattr would reach any attribute of an allowed object (torch's own
    # weights-only unpickler calls only allow-listed functions): only the
    # lookups an mmengine checkpoint makes (HistoryBuffer's statistics
    # methods) are allowed
    for name in ('builtins.getattr', '__builtin__.getattr'):
        allowed[name] = _checkpoint_getattr
    allowed['_codecs.encode'] = codecs.encode  # bytes under protocol 2
    return allowed


def _checkpoint_getattr(obj: Any, name: str) -> Any:
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and not name.startswith('_'):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'Unsupported class builtins.getattr (of {name!r})')


class _RestrictedUnpickler(pickle.Unpickler):
    """Builds only the allow-listed globals: anything else (``os.system``,
    ``subprocess.Popen``, ...) stops the load before it is called."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = _allowed_globals()
        full = f'{module}.{name}'
        if full in allowed:
            return allowed[full]
        raise pickle.UnpicklingError(f'Unsupported class {full}')


#: ``torch.load``'s ``pickle_module`` on torch < 2.4
_RESTRICTED_PICKLE = types.SimpleNamespace(
    __name__='mmkd_plus_restricted_pickle',
    Unpickler=_RestrictedUnpickler,
    load=lambda f, **kw: _RestrictedUnpickler(f, **kw).load())


def _restricted_load(path: str, map_location: Any) -> Any:
    """``torch.load`` with :class:`_RestrictedUnpickler`. ``torch.load``
    itself ignores its ``pickle_module`` unless ``weights_only`` is set on
    torch 1.13, so its two readers are called directly (in torch since
    1.6)."""
    serialization = torch.serialization
    with serialization._open_file_like(path, 'rb') as opened:
        if serialization._is_zipfile(opened):
            with serialization._open_zipfile_reader(opened) as archive:
                return serialization._load(
                    archive, map_location, _RESTRICTED_PICKLE,
                    encoding='utf-8')
        return serialization._legacy_load(
            opened, map_location, _RESTRICTED_PICKLE, encoding='utf-8')


def _safe_load(path: str, map_location: Any) -> Any:
    if hasattr(torch.serialization, 'add_safe_globals'):  # torch >= 2.4
        return torch.load(path, map_location=map_location, weights_only=True)
    return _restricted_load(path, map_location)


def _global_message(path: str, key: str, name: str) -> str:
    if name.split('.')[0] in _DANGEROUS:
        return (
            f'{key}: the checkpoint {osp.abspath(path)!r} holds a call of '
            f'{name!r}, which would run a command or code when the file is '
            'unpickled; the safe loader refused it and nothing ran. Do not '
            'load this file: get the checkpoint again from a source you '
            'trust.')
    allow = (
        f'allow that one class: torch.serialization.add_safe_globals([{name}'
        ']) in a module of yours listed in custom_imports; or ' if hasattr(
            torch.serialization, 'add_safe_globals') else '')
    return (
        f'{key}: the checkpoint {osp.abspath(path)!r} holds a Python object '
        f'of class {name!r}, which the safe loader does not build (only '
        'tensors, containers and the classes of an mmengine checkpoint '
        'are allowed, so that loading a file cannot run its code). If the '
        f'file comes from a source you trust and the class is only data, '
        f'{allow}save a plain state dict (torch.save(model.state_dict(), '
        'path)) and give that file instead.')


def load_checkpoint_file(path: str,
                         key: str,
                         fix: str = '',
                         map_location: Any = 'cpu') -> Any:
    """Load a checkpoint file safely, or raise one clear error.

    Args:
        path (str): A local file (a URL is left to MMEngine's loader).
        key (str): The config key or option that named it.
        fix (str): What to do instead, for the corrupt-file message.
        map_location: As ``torch.load``. Defaults to ``'cpu'``.

    Returns:
        The loaded object (a state dict, an mmengine checkpoint, ...).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CorruptCheckpointError: The file is not a readable checkpoint.
        CheckpointGlobalError: It holds a class outside the allow-list.
    """
    if _is_remote(path):
        from mmengine.runner.checkpoint import _load_checkpoint
        return _load_checkpoint(path, map_location=map_location)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{key}={osp.abspath(path)!r} does not exist. {fix}'.rstrip())
    check_checkpoint_file(path, key, fix)
    try:
        return _safe_load(path, map_location)
    except Exception as err:  # torch raises many kinds on a bad pickle
        text = str(err)
        match = _GLOBAL.search(text)
        if match is not None:
            raise CheckpointGlobalError(
                _global_message(path, key, match.group(1))) from None
        first = text.strip().splitlines()[0] if text.strip() else ''
        first = first.split(' Re-running torch.load')[0]
        raise CorruptCheckpointError(
            corrupt_checkpoint_message(
                path, key, f'{type(err).__name__}: {first}', fix)) from None
