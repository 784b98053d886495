# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Run a distillation config's frozen teacher once over N epochs of random
training views and store the views and the teacher's outputs: a teacher
cache, which the config then trains from (docs/teacher_cache.md).

    python tools/cache_teacher.py CONFIG [--epochs N] [--work-dir DIR]
        [--batch-size B] [--num-workers W] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]

CONFIG is the cached config (``model.type='CachedTeacherDistill'``, its
training dataset a ``TeacherCacheDataset``); the cache goes where it says
(``train_dataloader.dataset.cache_dir``, by default
``<work_dir>/teacher_cache``; the work dir as ``tools/train.py`` sets it).
``--epochs`` defaults to ``train_cfg.max_epochs``.

Per (epoch, sample) the cache holds the parameters of a new random view
(crop box, flip; drawn from ``(randomness.seed, epoch, sample)``) and the
teacher's outputs on it: every teacher recorder of the distiller, in
float16, or as the top k logits for the recorders in
``train_dataloader.dataset.topk``. An interrupted build resumes where it
stopped (run the same command); a bigger ``--epochs`` adds epochs. Under a
launcher (``tools/dist_cache_teacher.sh CONFIG NPROC``) each process
writes the files of its own shards (samples ``i`` with ``i % shards ==
shard``).
"""
import argparse
import importlib.util
import logging
import os
import os.path as osp
import shlex
import sys
import time

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.device import get_device
from mmengine.dist import barrier, get_dist_info, init_dist
from mmengine.logging import MMLogger, print_log
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Dataset

from mmkd_plus.datasets import TeacherCacheDataset
from mmkd_plus.datasets.teacher_cache import (
    FORMAT, TeacherCache, config_mismatches, describe_config, shards_of,
    topk_compress)
from mmkd_plus.registry import DATASETS, MODELS
from mmkd_plus.utils import (call_explained, finish_distributed,
                             runner_model_config)

TOOLS_DIR = osp.dirname(osp.abspath(__file__))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Build the teacher cache of a cached distillation '
        'config: the teacher runs once over N epochs of random views.')
    parser.add_argument('config', help='the cached config')
    parser.add_argument(
        '--epochs',
        type=int,
        help='epochs of views to cache (default: train_cfg.max_epochs)')
    parser.add_argument(
        '--work-dir', help='the run\'s work dir, as tools/train.py')
    parser.add_argument(
        '--batch-size',
        type=int,
        help='teacher batch (default: train_dataloader.batch_size)')
    parser.add_argument(
        '--num-workers',
        type=int,
        help='dataloader workers (default: train_dataloader.num_workers)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=_raw_dict_action(),
        help='override settings of the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    for name in ('epochs', 'batch_size', 'num_workers'):
        value = getattr(args, name)
        if value is not None and value < (0 if name == 'num_workers' else 1):
            parser.error(f'--{name.replace("_", "-")} must be '
                         f'{">= 0" if name == "num_workers" else ">= 1"}')
    return args


def _raw_dict_action():
    """MMEngine's DictAction that also keeps the raw ``k=v`` strings (for
    the build command written to the manifest)."""
    from mmengine.config import DictAction

    class RawDictAction(DictAction):

        def __call__(self, parser, namespace, values, option_string=None):
            super().__call__(parser, namespace, values, option_string)
            namespace.raw_cfg_options = list(values)

    return RawDictAction


def load_train_tool():
    """tools/train.py as a module (its work-dir and option rules)."""
    spec = importlib.util.spec_from_file_location(
        '_mmkd_plus_train', osp.join(TOOLS_DIR, 'train.py'))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    return train


def load_config(args):
    """The config as tools/train.py merges it (work dir, --cfg-options)."""
    train = load_train_tool()
    train_args = train.parse_args([args.config])
    train_args.cfg_options = args.cfg_options
    train_args.work_dir = args.work_dir
    train_args.launcher = args.launcher
    return train.merge_args(Config.fromfile(args.config), train_args)


def command_line(args, epochs: int) -> str:
    """The command that builds (or resumes) this cache, for the manifest
    and the errors."""
    parts = ['python', 'tools/cache_teacher.py', args.config, '--epochs',
             str(epochs)]
    if args.work_dir:
        parts += ['--work-dir', args.work_dir]
    if getattr(args, 'raw_cfg_options', None):
        parts += ['--cfg-options', *args.raw_cfg_options]
    return shlex.join(parts)


class _Views(Dataset):
    """New random views of ``(epoch, sample)`` pairs, each with the
    parameters that made it."""

    def __init__(self, dataset: TeacherCacheDataset, pairs: list,
                 seed: int) -> None:
        self.dataset, self.pairs, self.seed = dataset, pairs, seed

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int):
        epoch, idx = self.pairs[i]
        return self.dataset.record_view(epoch, idx, self.seed)


def build_online_model(cfg):
    """The online algorithm of the cached config (its teacher loaded from
    ``model.teacher_ckpt`` with every check), in eval mode."""
    model_cfg = runner_model_config(cfg)
    if str(model_cfg.get('type')).split('.')[-1] != 'CachedTeacherDistill':
        raise ValueError(
            f'model.type={model_cfg.get("type")!r}: tools/cache_teacher.py '
            "builds the cache of a config with model.type="
            "'CachedTeacherDistill' (see docs/teacher_cache.md).")
    if not model_cfg.get('teacher_ckpt'):
        raise ValueError(
            'model.teacher_ckpt is not set: a cache of a random teacher '
            'distils nothing. Set it, e.g. --cfg-options '
            'model.teacher_ckpt=PATH.')
    model_cfg.type = 'CheckedSingleTeacherDistill'
    model = call_explained(
        MODELS.build, model_cfg, model_cfg, key_prefix='model')
    if getattr(model.data_preprocessor, 'batch_augments', None) is not None:
        raise ValueError(
            'data_preprocessor.batch_augments (e.g. Mixup, CutMix) mixes '
            'images at random in each batch; a teacher cache cannot replay '
            'it. Remove it, or train with the online config.')
    return model.to(get_device()).eval()


def record_batch(model, batch) -> dict:
    """The teacher's recorded outputs on a batch: ``{recorder name: tensor
    or tuple of tensors}`` (each (B, D))."""
    data = model.data_preprocessor(batch, True)
    recorders = model.distiller.teacher_recorders
    with torch.no_grad(), recorders:
        model.teacher(data['inputs'], data['data_samples'], mode='tensor')
    outputs = {}
    for name, recorder in recorders.recorders.items():
        key = f'model.distiller.teacher_recorders.{name}'
        if len(recorder.data_buffer) != 1:
            raise ValueError(
                f'{key} (source={recorder.source!r}) recorded '
                f'{len(recorder.data_buffer)} outputs in one forward pass; '
                'a teacher cache stores one per sample.')
        value = recorder.get_record_data()
        parts = value if isinstance(value, (tuple, list)) else (value, )
        for part in parts:
            if not torch.is_tensor(part) or part.dim() != 2:
                shape = tuple(part.shape) if torch.is_tensor(part) else \
                    type(part).__name__
                raise ValueError(
                    f'{key} (source={recorder.source!r}) records {shape}: a '
                    'teacher cache stores vectors per sample (logits, pooled '
                    'features), not feature maps (see docs/teacher_cache.md). '
                    'Train this method with the online config.')
        outputs[name] = value
    return outputs


def describe_outputs(outputs: dict, topk: dict, taus: dict) -> dict:
    """The manifest's ``outputs``: per recorder its source structure and
    how each part is stored."""
    described = {}
    for name, value in outputs.items():
        tensors = value if isinstance(value, (tuple, list)) else (value, )
        parts = []
        for tensor in tensors:
            width = int(tensor.shape[1])
            if name in topk:
                if not 1 <= topk[name] < width:
                    raise ValueError(
                        f'train_dataloader.dataset.topk.{name}='
                        f'{topk[name]}: k must be below the {width} '
                        'outputs (leave it out to store them in full).')
                if width > np.iinfo(np.int16).max:
                    raise ValueError(
                        f'{name}: {width} classes do not fit the int16 '
                        'indices of top-k storage.')
                parts.append(
                    dict(storage='topk', width=width, k=topk[name],
                         tau=taus[name]))
            else:
                parts.append(dict(storage='float16', width=width))
        described[name] = dict(
            structure='tuple'
            if isinstance(value, (tuple, list)) else 'tensor',
            parts=parts)
    return described


def write_rows(arrays: dict, rows: np.ndarray, manifest: dict, outputs: dict,
               data_samples: list) -> None:
    """Write one batch's views and outputs, then mark its rows done."""
    for view in manifest['views']:
        arrays[view['key']][rows] = np.stack([
            s.metainfo['teacher_cache_view'][view['key']]
            for s in data_samples
        ])
    for name, output in manifest['outputs'].items():
        value = outputs[name]
        tensors = value if isinstance(value, (tuple, list)) else (value, )
        for j, (part, tensor) in enumerate(zip(output['parts'], tensors)):
            stem = name if output['structure'] == 'tensor' else f'{name}.{j}'
            tensor = tensor.detach().float().cpu()
            if part['storage'] == 'topk':
                values, indices, rest = topk_compress(tensor, part['k'],
                                                      part['tau'])
                arrays[f'{stem}.values'][rows] = values.numpy()
                arrays[f'{stem}.indices'][rows] = indices.numpy()
                arrays[f'{stem}.rest'][rows] = rest.numpy()
            else:
                arrays[stem][rows] = tensor.numpy()
    for name, array in arrays.items():
        if name != 'done':
            array.flush()
    arrays['done'][rows] = 1
    arrays['done'].flush()


def open_for_writing(cache: TeacherCache, epoch: int, shard: int) -> dict:
    """The arrays of a shard, created when missing or broken (a broken
    shard is written again from its first row)."""
    if not osp.isdir(cache.shard_dir(epoch, shard)):
        return cache.open_shard(epoch, shard, 'w+')
    try:
        return cache.open_shard(epoch, shard, 'r+')
    except (FileNotFoundError, ValueError) as err:
        print_log(
            f'{cache.shard_dir(epoch, shard)} cannot be resumed (a file is '
            f'missing, truncated or of another shape: {type(err).__name__})'
            ': writing this shard again.',
            logger='current',
            level=logging.WARNING)
        return cache.open_shard(epoch, shard, 'w+')


def prepare_manifest(cache: TeacherCache, cfg, args, dataset, model,
                     epochs: int, world_size: int) -> dict:
    """The manifest of the cache to build (rank 0): the existing one,
    checked against the config, with its epochs raised to ``epochs``; or a
    new one, the outputs' widths read from one teacher forward pass."""
    expected = describe_config(cfg, dataset)
    if cache.exists():
        manifest = cache.manifest
        mismatches = config_mismatches(manifest['config'], expected,
                                       dataset.pipeline_key)
        if mismatches:
            raise ValueError(
                f'{osp.abspath(cache.root)!r} holds a teacher cache built '
                'for another config:\n  - ' + '\n  - '.join(mismatches) +
                '\nFix those keys, or delete that directory (or set '
                'train_dataloader.dataset.cache_dir elsewhere) to build a '
                'new cache.')
        epochs = max(epochs, int(manifest['epochs']))
        manifest = dict(manifest, epochs=epochs,
                        build_command=command_line(args, epochs))
    else:
        probe = pseudo_collate([dataset.record_view(0, 0, expected['seed'])])
        outputs = describe_outputs(
            record_batch(model, probe), expected['topk'], expected['tau'])
        manifest = dict(
            format=FORMAT,
            build_command=command_line(args, epochs),
            epochs=epochs,
            shards=world_size,
            config=expected,
            views=[
                dict(key=key, type=name, params=list(params))
                for key, name, params in dataset.views
            ],
            outputs=outputs)
    cache.write_manifest(manifest)
    return manifest


def build_cost(seconds: dict) -> str:
    """The build's time split (``data``: reading and cropping the views,
    ``teacher``: the teacher's forward and the recorders, ``writing``: the
    cache files) and its cost relative to a teacher-only pass over the same
    views (data and teacher time alone), measured in the same run."""
    spent = sum(seconds.values())
    teacher_pass = seconds['data'] + seconds['teacher']
    ratio = spent / teacher_pass if teacher_pass > 0 else float('nan')
    return (f"build time {spent:.2f} s: views {seconds['data']:.2f} s, "
            f"teacher {seconds['teacher']:.2f} s, writing "
            f"{seconds['writing']:.2f} s; {ratio:.3f}x a teacher-only pass "
            'over the same views')


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args)
    if args.launcher != 'none':
        init_dist(args.launcher, **cfg.get('env_cfg', {}).get(
            'dist_cfg', {}))
    rank, world_size = get_dist_info()
    MMLogger.get_instance(
        f'cache_teacher_{time.time_ns()}',
        logger_name='mmkd_plus',
        log_level='INFO')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    seed = (cfg.get('randomness') or {}).get('seed')
    if seed is None:
        raise ValueError('randomness.seed is None: a teacher cache draws its '
                         'views from a fixed seed. Set it, e.g. '
                         '--cfg-options randomness.seed=0.')
    dataset = call_explained(
        DATASETS.build,
        cfg.train_dataloader.dataset,
        cfg.train_dataloader.dataset,
        key_prefix='train_dataloader.dataset')
    if not isinstance(dataset, TeacherCacheDataset):
        raise TypeError(
            f'{args.config} does not train from a teacher cache: its '
            "train_dataloader.dataset.type is not 'TeacherCacheDataset' "
            '(see docs/teacher_cache.md for a cached config).')
    epochs = args.epochs or cfg.train_cfg.max_epochs
    root = dataset.cache_dir or osp.join(cfg.work_dir, 'teacher_cache')
    model = build_online_model(cfg)
    cache = TeacherCache(root, build_command=command_line(args, epochs))
    if rank == 0:
        manifest = prepare_manifest(cache, cfg, args, dataset, model, epochs,
                                    world_size)
    barrier()
    if rank != 0:
        cache = TeacherCache(root)
        manifest = cache.manifest
    mine = shards_of(rank, world_size, cache.shards)
    todo = {}
    for epoch in range(cache.epochs):
        for shard in mine:
            arrays = open_for_writing(cache, epoch, shard)
            rows = np.flatnonzero(arrays['done'] == 0)
            if len(rows):
                todo[(epoch, shard)] = rows
    total = sum(len(rows) for rows in todo.values())
    print_log(
        f'teacher cache {osp.abspath(root)}: {cache.epochs} epochs x '
        f'{cache.length} samples; {total} views to write'
        + (f' on rank {rank} (shards {list(mine)})' if world_size > 1
           else ''),
        logger='current')
    bar = ProgressBar(total) if rank == 0 and total else None
    batch_size = args.batch_size or cfg.train_dataloader.batch_size
    num_workers = cfg.train_dataloader.get('num_workers', 0) \
        if args.num_workers is None else args.num_workers
    seconds = dict(data=0.0, teacher=0.0, writing=0.0)
    for (epoch, shard), rows in todo.items():
        arrays = cache.open_shard(epoch, shard, 'r+')
        pairs = [(epoch, int(shard + row * cache.shards)) for row in rows]
        loader = DataLoader(
            _Views(dataset, pairs, seed),
            batch_size=batch_size,
            num_workers=num_workers,
            collate_fn=pseudo_collate)
        start = 0
        t0 = time.perf_counter()
        for batch in loader:
            size = len(batch['inputs'])
            t1 = time.perf_counter()
            outputs = record_batch(model, batch)
            t2 = time.perf_counter()
            write_rows(arrays, rows[start:start + size], manifest, outputs,
                       batch['data_samples'])
            t3 = time.perf_counter()
            seconds['data'] += t1 - t0
            seconds['teacher'] += t2 - t1
            seconds['writing'] += t3 - t2
            t0 = t3
            start += size
            if bar is not None:
                bar.update(size)
        del arrays
    if bar is not None:
        sys.stdout.write('\n')
    if total:
        print_log(build_cost(seconds), logger='current')
    barrier()
    if rank == 0:
        cache.check(cache.epochs)
        size = sum(
            osp.getsize(osp.join(cache.shard_dir(0, s), f'{stem}.npy'))
            for s in range(cache.shards) for stem, _, _ in cache.arrays())
        print_log(
            f'teacher cache {osp.abspath(root)} complete: {cache.epochs} '
            f'epochs x {cache.length} samples, {size:,} bytes '
            f'({size / 2**20:.2f} MiB) an epoch.',
            logger='current')
    return cache


if __name__ == '__main__':
    main()
    finish_distributed()
