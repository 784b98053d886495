# Copyright (c) OpenMMLab. All rights reserved.
"""The files of a teacher cache: a manifest and memory-mapped arrays.

A cache holds, for every (epoch, sample) of a training run, the parameters
of the random view the teacher saw (crop box, flip) and the teacher's
outputs on that view (logits, pooled features). ``tools/cache_teacher.py``
writes it; :class:`~mmkd_plus.datasets.TeacherCacheDataset` reads it. The
layout::

    CACHE_DIR/manifest.json
    CACHE_DIR/epoch_0000/shard_000/view_0.npy   (rows, 4) int32: crop box
    CACHE_DIR/epoch_0000/shard_000/view_1.npy   (rows, 1) int32: flip
    CACHE_DIR/epoch_0000/shard_000/fc.npy       (rows, C) float16: logits
    CACHE_DIR/epoch_0000/shard_000/done.npy     (rows, ) uint8: written
    ...

Sample ``i`` is row ``i // shards`` of shard ``i % shards``: each process
of a distributed build writes the files of its own shards only. Arrays
are NumPy ``.npy`` files opened with ``mmap_mode``: a dataloader worker
reads the rows of its samples, never the whole file.
"""
import hashlib
import json
import logging
import math
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import print_log

__all__ = [
    'TeacherCache', 'describe_config', 'config_mismatches', 'sha256_file',
    'topk_compress', 'topk_expand', 'topk_kl', 'MANIFEST', 'FORMAT'
]

MANIFEST = 'manifest.json'
FORMAT = 1

# what a cache was built from, compared with the config that reads it:
# field -> (what it is, the config key that sets it)
CONFIG_FIELDS = {
    'teacher_ckpt': ('the teacher checkpoint', 'model.teacher_ckpt'),
    'teacher': ('the teacher network', 'model.teacher'),
    'teacher_recorders':
    ('the recorded teacher outputs', 'model.distiller.teacher_recorders'),
    'data_preprocessor': ('the data preprocessor', 'data_preprocessor'),
    'pipeline': ('the training pipeline', None),  # the dataset's own key
    'dataset_length':
    ('the number of training samples',
     'train_dataloader.dataset (its data_root, split or indices)'),
    'seed': ('the seed of the random views', 'randomness.seed'),
    'topk': ('the top-k storage of logits', 'train_dataloader.dataset.topk'),
    'tau': ('the temperature of the top-k logits',
            'the tau of the losses that read them'),
}


def sha256_file(path: str, chunk: int = 1 << 22) -> str:
    """The SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def plain(value: Any) -> Any:
    """Config values as JSON data (tuples as lists, ConfigDicts as dicts)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


# ---------------------------------------------------------------------------
# top-k logits
# ---------------------------------------------------------------------------
def topk_compress(logits: torch.Tensor, k: int,
                  tau: float) -> Tuple[torch.Tensor, torch.Tensor,
                                       torch.Tensor]:
    """The k largest logits and one logit for all the others.

    The others get the logit ``r`` that spreads their probability mass at
    temperature ``tau`` uniformly over them (as FKD spreads the mass left
    by its top-k soft labels): with the C - k other logits z_j,
    ``r = tau * (logsumexp_j(z_j / tau) - log(C - k))``, so that
    ``softmax(expanded / tau)`` equals ``softmax(logits / tau)`` on the k
    classes and is uniform on the others.

    Args:
        logits (Tensor): (N, C) logits.
        k (int): How many to keep, 1 <= k < C.
        tau (float): The temperature of the loss that reads them.

    Returns:
        tuple[Tensor, Tensor, Tensor]: values (N, k), indices (N, k) and
        the other classes' logit (N, ).
    """
    num_classes = logits.shape[1]
    if not 1 <= k < num_classes:
        raise ValueError(f'top-k needs 1 <= k < {num_classes} (the number '
                         f'of classes), got k={k}.')
    values, indices = logits.topk(k, dim=1)
    others = logits.scatter(1, indices, float('-inf'))
    rest = tau * (torch.logsumexp(others / tau, dim=1) -
                  math.log(num_classes - k))
    return values, indices, rest


def topk_expand(values: np.ndarray, indices: np.ndarray, rest: np.ndarray,
                num_classes: int) -> np.ndarray:
    """Full logits (float32) from :func:`topk_compress`'s three arrays.

    Args:
        values (np.ndarray): (..., k) logits.
        indices (np.ndarray): (..., k) their classes.
        rest (np.ndarray): (..., ) the other classes' logit.
        num_classes (int): C.

    Returns:
        np.ndarray: (..., C) logits.
    """
    rest = np.asarray(rest, dtype=np.float32)
    full = np.repeat(rest[..., None], num_classes, axis=-1)
    np.put_along_axis(full, np.asarray(indices, dtype=np.int64),
                      np.asarray(values, dtype=np.float32), axis=-1)
    return full


def topk_kl(logits: torch.Tensor, k: int, tau: float) -> torch.Tensor:
    """KL(softmax(z / tau) || softmax(z_k / tau)) per sample, z_k the
    logits kept by :func:`topk_compress` (in float32, no float16
    rounding): what the student's target loses when only the top k are
    stored.

    Args:
        logits (Tensor): (N, C) logits.
        k (int): Kept logits.
        tau (float): Temperature.

    Returns:
        Tensor: (N, ) divergences, in nats.
    """
    values, indices, rest = topk_compress(logits.float(), k, tau)
    approx = torch.from_numpy(
        topk_expand(values.numpy(), indices.numpy(), rest.numpy(),
                    logits.shape[1]))
    log_p = torch.log_softmax(logits.float() / tau, dim=1)
    log_q = torch.log_softmax(approx / tau, dim=1)
    return (log_p.exp() * (log_p - log_q)).sum(dim=1)


# ---------------------------------------------------------------------------
# what a config asks of a cache
# ---------------------------------------------------------------------------
def _losses_reading(distiller: dict, recorder: str) -> List[str]:
    names = []
    for loss, mapping in (distiller.get('loss_forward_mappings')
                          or {}).items():
        for arg in (mapping or {}).values():
            if isinstance(arg, dict) and not arg.get('from_student', True) \
                    and arg.get('recorder') == recorder:
                names.append(loss)
    return names


def topk_temperatures(model_cfg: dict, topk: Dict[str, int]) -> dict:
    """The temperature of each top-k recorder: the ``tau`` (or
    ``temperature``) of the losses that read it (1 when they have none).

    Raises:
        ValueError: If two losses read it at different temperatures.
    """
    distiller = model_cfg.get('distiller') or {}
    losses = distiller.get('distill_losses') or {}
    taus = {}
    for recorder in sorted(topk or {}):
        found = {}
        for name in _losses_reading(distiller, recorder):
            loss = losses.get(name) or {}
            found[name] = float(loss.get('tau', loss.get('temperature', 1.0)))
        if len(set(found.values())) > 1:
            raise ValueError(
                f'train_dataloader.dataset.topk stores the top-k logits of '
                f'{recorder!r} for one temperature, but the losses read '
                f'them at {found}: store them in full (leave {recorder!r} '
                'out of topk) or give the losses one tau.')
        taus[recorder] = next(iter(found.values()), 1.0)
    return taus


def describe_config(cfg, dataset) -> dict:
    """What a cache built for ``cfg`` must have been built from (the
    manifest's ``config`` part), for ``dataset``, the built
    :class:`~mmkd_plus.datasets.TeacherCacheDataset` of
    ``cfg.train_dataloader``.

    The teacher checkpoint is described by its path and SHA-256 (None when
    the file does not exist here).
    """
    model = cfg.model
    ckpt = model.get('teacher_ckpt')
    distiller = model.get('distiller') or {}
    preprocessor = model.get('data_preprocessor',
                             cfg.get('data_preprocessor'))
    topk = {str(k): int(v) for k, v in (dataset.topk or {}).items()}
    return dict(
        teacher_ckpt=dict(
            path=ckpt,
            sha256=sha256_file(ckpt) if ckpt and osp.isfile(ckpt) else None),
        teacher=plain(model.get('teacher')),
        teacher_recorders={
            name: rec.get('source')
            for name, rec in (distiller.get('teacher_recorders')
                              or {}).items()
        },
        data_preprocessor=plain(preprocessor),
        pipeline=plain(dataset.pipeline_cfg),
        dataset_length=len(dataset),
        seed=(cfg.get('randomness') or {}).get('seed'),
        topk=topk,
        tau=topk_temperatures(model, topk))


def config_mismatches(cached: dict, expected: dict,
                      pipeline_key: str) -> List[str]:
    """One line per field where a cache's ``config`` differs from
    ``expected`` (:func:`describe_config`), naming the key to fix.

    The teacher checkpoint is compared by hash; when the config's file
    does not exist here, by path (a warning says the hash is unchecked).
    """
    lines = []
    for field, (what, key) in CONFIG_FIELDS.items():
        key = key or pipeline_key
        old, new = cached.get(field), expected.get(field)
        if field == 'teacher_ckpt':
            old, new = old or {}, new or {}
            if new.get('sha256') is None:
                print_log(
                    f'model.teacher_ckpt={new.get("path")!r} does not exist '
                    'here: the teacher cache is trusted to hold its outputs '
                    '(checked by path, not by content).',
                    logger='current',
                    level=logging.WARNING)
                if old.get('path') == new.get('path'):
                    continue
            elif old.get('sha256') == new.get('sha256'):
                continue
            lines.append(f'{what}: the cache has {old.get("path")!r} '
                         f'(sha256 {str(old.get("sha256"))[:12]}...), the '
                         f'config {new.get("path")!r} (sha256 '
                         f'{str(new.get("sha256"))[:12]}...); key {key}')
            continue
        if old != new:
            lines.append(f'{what}: the cache has {old!r}, the config '
                         f'{new!r}; key {key}')
    return lines


# ---------------------------------------------------------------------------
# the files
# ---------------------------------------------------------------------------
def output_arrays(name: str, output: dict) -> List[Tuple[str, tuple, str]]:
    """``(file stem, row shape, dtype)`` of the arrays of one recorder's
    outputs (``manifest['outputs'][name]``)."""
    arrays = []
    for j, part in enumerate(output['parts']):
        stem = name if output['structure'] == 'tensor' else f'{name}.{j}'
        if part['storage'] == 'topk':
            k = part['k']
            arrays += [(f'{stem}.values', (k, ), 'float16'),
                       (f'{stem}.indices', (k, ), 'int16'),
                       (f'{stem}.rest', (), 'float16')]
        else:
            arrays.append((stem, (part['width'], ), 'float16'))
    return arrays


class TeacherCache:
    """A teacher cache directory: its manifest and its memory-mapped arrays.

    Readers (:class:`~mmkd_plus.datasets.TeacherCacheDataset`) open the
    arrays lazily, in each process, and keep the maps of one epoch; a
    pickled cache (sent to a dataloader worker) carries no open map.

    Args:
        root (str): The cache directory.
        build_command (str, optional): The command that builds this cache,
            named by the errors about missing or broken files.
    """

    def __init__(self, root: str, build_command: Optional[str] = None):
        self.root = root
        self.build_command = build_command
        self._manifest: Optional[dict] = None
        self._maps: Dict[Tuple[int, int], Dict[str, np.ndarray]] = {}
        self._maps_epoch: Optional[int] = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_maps'], state['_maps_epoch'] = {}, None
        return state

    # -- manifest -----------------------------------------------------------
    @property
    def manifest_path(self) -> str:
        return osp.join(self.root, MANIFEST)

    def exists(self) -> bool:
        """Whether the directory has a manifest."""
        return osp.isfile(self.manifest_path)

    def _command(self) -> str:
        return self.build_command or (self._manifest or {}).get(
            'build_command') or 'python tools/cache_teacher.py CONFIG'

    def _rebuild(self) -> str:
        return f'Build it again with: {self._command()}'

    @property
    def manifest(self) -> dict:
        """The manifest (read once).

        Raises:
            FileNotFoundError: If there is no manifest.
            ValueError: If it is not a manifest of this format.
        """
        if self._manifest is None:
            if not self.exists():
                raise FileNotFoundError(
                    f'No teacher cache at {osp.abspath(self.root)!r} '
                    f'({MANIFEST} is missing). Build it with: '
                    f'{self._command()} (or point '
                    'train_dataloader.dataset.cache_dir at the cache).')
            try:
                with open(self.manifest_path) as f:
                    manifest = json.load(f)
            except (OSError, ValueError) as err:
                raise ValueError(
                    f'Teacher cache manifest {self.manifest_path!r} cannot '
                    f'be read ({err}). {self._rebuild()}') from err
            if manifest.get('format') != FORMAT:
                raise ValueError(
                    f'{self.manifest_path!r} is not a teacher cache manifest '
                    f'of format {FORMAT}. {self._rebuild()}')
            self._manifest = manifest
        return self._manifest

    def write_manifest(self, manifest: dict) -> None:
        """Write the manifest (atomically: a temporary file renamed)."""
        os.makedirs(self.root, exist_ok=True)
        tmp = self.manifest_path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(manifest, f, indent=1)
        os.replace(tmp, self.manifest_path)
        self._manifest = manifest

    # -- layout -------------------------------------------------------------
    @property
    def epochs(self) -> int:
        return int(self.manifest['epochs'])

    @property
    def shards(self) -> int:
        return int(self.manifest['shards'])

    @property
    def length(self) -> int:
        return int(self.manifest['config']['dataset_length'])

    def shard_rows(self, shard: int) -> int:
        """Rows of shard ``shard``: the samples i with i % shards == shard."""
        return len(range(shard, self.length, self.shards))

    def shard_dir(self, epoch: int, shard: int) -> str:
        return osp.join(self.root, f'epoch_{epoch:04d}', f'shard_{shard:03d}')

    def arrays(self) -> List[Tuple[str, tuple, str]]:
        """``(file stem, row shape, dtype)`` of every array of a shard."""
        manifest = self.manifest
        arrays = [(v['key'], (len(v['params']), ), 'int32')
                  for v in manifest['views']]
        for name, output in manifest['outputs'].items():
            arrays += output_arrays(name, output)
        return arrays + [('done', (), 'uint8')]

    def _open(self, path: str, shape: tuple, dtype: str,
              mode: str) -> np.ndarray:
        """One array: ``mode='r'`` (or ``'r+'``) opens it and checks it,
        ``'w+'`` creates it."""
        if mode == 'w+':
            return np.lib.format.open_memmap(
                path, mode='w+', dtype=np.dtype(dtype), shape=shape)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'Teacher cache file {path!r} is missing. '
                f'{self._rebuild()}')
        try:
            array = np.load(path, mmap_mode=mode)
        except (OSError, ValueError) as err:
            raise ValueError(
                f'Teacher cache file {path!r} is truncated or corrupt '
                f'({err}). {self._rebuild()}') from err
        if array.shape != shape or array.dtype != np.dtype(dtype):
            raise ValueError(
                f'Teacher cache file {path!r} holds {array.dtype} '
                f'{array.shape}, the manifest says {dtype} {shape}. '
                f'{self._rebuild()}')
        return array

    def open_shard(self, epoch: int, shard: int,
                   mode: str = 'r') -> Dict[str, np.ndarray]:
        """The arrays of one shard of one epoch.

        Args:
            epoch (int): The cache epoch.
            shard (int): The shard.
            mode (str): ``'r'`` to read, ``'r+'`` to write existing files,
                ``'w+'`` to create them (zeros: nothing done).

        Raises:
            FileNotFoundError: A file is missing (``'r'``, ``'r+'``).
            ValueError: A file is truncated, corrupt or of another shape.
        """
        folder = self.shard_dir(epoch, shard)
        if mode == 'w+':
            os.makedirs(folder, exist_ok=True)
        rows = self.shard_rows(shard)
        return {
            stem: self._open(
                osp.join(folder, f'{stem}.npy'), (rows, *shape), dtype, mode)
            for stem, shape, dtype in self.arrays()
        }

    def check(self, epochs: int) -> None:
        """Check that the first ``epochs`` epochs are complete: every file
        present, of its size, every row written.

        Raises:
            FileNotFoundError: A file is missing.
            ValueError: A file is truncated or corrupt, or rows are missing.
        """
        for epoch in range(epochs):
            missing = 0
            for shard in range(self.shards):
                done = self.open_shard(epoch, shard)['done']
                missing += int(len(done) - np.count_nonzero(done))
            if missing:
                raise ValueError(
                    f'Teacher cache {osp.abspath(self.root)!r} is '
                    f'incomplete: {missing} of the {self.length} views of '
                    f'epoch {epoch} were not written (an interrupted '
                    f'build). Finish it (the build resumes): '
                    f'{self._command()}')

    # -- reading ------------------------------------------------------------
    def read(self, epoch: int, index: int) -> Tuple[dict, dict]:
        """The recorded view parameters and teacher outputs of one sample.

        Args:
            epoch (int): The cache epoch.
            index (int): The sample's index in the dataset.

        Returns:
            tuple[dict, dict]: ``{view key: int32 array}`` and
            ``{recorder name: float32 array or tuple of them}``.
        """
        if not 0 <= index < self.length:
            raise IndexError(f'sample {index} is outside the teacher cache '
                             f'({self.length} samples).')
        if self._maps_epoch != epoch:
            self._maps, self._maps_epoch = {}, epoch
        shard, row = index % self.shards, index // self.shards
        if (epoch, shard) not in self._maps:
            self._maps[(epoch, shard)] = self.open_shard(epoch, shard)
        arrays = self._maps[(epoch, shard)]
        manifest = self.manifest
        views = {
            v['key']: np.array(arrays[v['key']][row])
            for v in manifest['views']
        }
        outputs = {}
        for name, output in manifest['outputs'].items():
            parts = []
            for j, part in enumerate(output['parts']):
                stem = name if output['structure'] == 'tensor' \
                    else f'{name}.{j}'
                if part['storage'] == 'topk':
                    parts.append(
                        topk_expand(arrays[f'{stem}.values'][row],
                                    arrays[f'{stem}.indices'][row],
                                    arrays[f'{stem}.rest'][row],
                                    part['width']))
                else:
                    parts.append(np.asarray(arrays[stem][row], np.float32))
            outputs[name] = parts[0] if output['structure'] == 'tensor' \
                else tuple(parts)
        return views, outputs


def shards_of(rank: int, world_size: int, shards: int) -> Sequence[int]:
    """The shards process ``rank`` of ``world_size`` builds."""
    return range(rank, shards, world_size)
