# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Time a QuEST vocabulary build against its two unavoidable parts.

For a QuEST config it times, on the same images and in one process:

* **hook**: ``QuESTVocabularyHook.before_train`` as a run calls it (dataset,
  teacher pass, seeded sample of the vectors, k-means, statistic);
* **teacher pass**: the teacher's forward passes over the same images
  through the same dataloader (preprocessing, recorder), nothing kept;
* **k-means**: FAISS k-means alone (``backend='faiss'``) of a sample of
  the same size, drawn the same way.

and prints the ratio hook / (teacher pass + k-means): what the hook adds
on top. The two are interleaved (hook, reference, hook, reference ...)
``--repeats`` times so that a change of machine load hits both alike; the
median ratio and its range are reported, with the load average. Each time
is taken twice: wall clock, and the CPU time of this process (all its
threads), which other processes on a loaded machine disturb much less.

    python tools/analysis/quest_vocab_benchmark.py CONFIG \\
        [--teacher-ckpt CKPT] [--num-images N] [--repeats 3] \\
        [--cfg-options k=v ...]
"""
import argparse
import os
import os.path as osp
import statistics
import time
from types import SimpleNamespace

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import MODELS, DefaultScope

from mmkd_plus.engine import (
    QuESTVocabularyHook, TeacherFeatureExtractor, find_quest_loss,
    vocabulary_dataloader)
from mmkd_plus.ops import kmeans
from mmkd_plus.utils import runner_model_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a QuEST distillation config')
    parser.add_argument(
        '--teacher-ckpt',
        default=None,
        help='teacher checkpoint (default: a random teacher)')
    parser.add_argument('--num-images', type=int, default=None)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='key=value')
    return parser.parse_args(argv)


@torch.no_grad()
def teacher_pass(extractor) -> None:
    """The teacher over every batch, as the hook runs it, nothing kept."""
    model = extractor.model
    model.teacher.eval()
    for data_batch in extractor.dataloader:
        data = model.data_preprocessor(data_batch, False)
        with model.distiller.teacher_recorders:
            model.teacher(data['inputs'], data['data_samples'], mode='tensor')


class _Clock:
    """Wall and process CPU seconds since it was made."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self):
        return (time.perf_counter() - self.wall,
                time.process_time() - self.cpu)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    hook_cfg = next(
        dict(h) for h in cfg.custom_hooks
        if h['type'].endswith('QuESTVocabularyHook'))
    for key in ('type', '_scope_'):
        hook_cfg.pop(key, None)
    if args.num_images is not None:
        hook_cfg['num_images'] = args.num_images
    hook_cfg.update(vocab_file=None, save_vocab_file=None)
    hook = QuESTVocabularyHook(**hook_cfg)
    model_cfg = runner_model_config(cfg, teacher_ckpt=args.teacher_ckpt)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
        loss = find_quest_loss(model, hook.loss_name)
        runner = SimpleNamespace(
            model=model, cfg=cfg, logger=MMLogger.get_current_instance())
        loader = hook.dataloader or vocabulary_dataloader(cfg, hook.batch_size)
        budget = int(hook.max_points_per_centroid * loss.num_words)

        def reference():
            clock = _Clock()
            extractor = TeacherFeatureExtractor(model, loss, hook.loss_name,
                                                loader, hook.recorder,
                                                hook.num_images, hook.seed)
            teacher_pass(extractor)
            teacher = clock.read()
            clock = _Clock()
            kmeans(sample, loss.num_words, hook.niter, hook.seed,
                   hook.max_points_per_centroid, 'faiss')
            return teacher, clock.read()

        extractor = TeacherFeatureExtractor(model, loss, hook.loss_name,
                                            loader, hook.recorder,
                                            hook.num_images, hook.seed)
        sample, seen = extractor.extract(budget, hook.seed)  # untimed
        rows = []  # (wall, cpu) of the hook, teacher pass, k-means
        for _ in range(args.repeats):
            loss.vocab_ready.fill_(False)
            clock = _Clock()
            hook.before_train(runner)
            rows.append((clock.read(), *reference()))
    ratios = {
        kind: [hook_t[i] / (teacher[i] + km[i])
               for hook_t, teacher, km in rows]
        for i, kind in enumerate(('wall', 'cpu'))
    }
    print(f'{osp.basename(args.config)}: {extractor.num_images} images, '
          f'{seen} vectors of {loss.feat_channels} channels, k-means of '
          f'{sample.shape[0]} into K={loss.num_words}; torch '
          f'{torch.get_num_threads()} threads, {os.cpu_count()} CPUs, load '
          f'average {os.getloadavg()[0]:.2f}')
    print('| seconds, wall (CPU) | hook | teacher pass | FAISS k-means | '
          'ratio |')
    print('|---|---:|---:|---:|---:|')
    for r, (hook_t, teacher, km) in enumerate(rows):
        cells = ' | '.join(f'{t[0]:.2f} ({t[1]:.2f})'
                           for t in (hook_t, teacher, km))
        print(f"| repeat {r + 1} | {cells} | {ratios['wall'][r]:.3f} "
              f"({ratios['cpu'][r]:.3f}) |")
    median = {k: statistics.median(v) for k, v in ratios.items()}
    for kind, values in ratios.items():
        print(f'median {kind} ratio {median[kind]:.3f} (range '
              f'{min(values):.3f}-{max(values):.3f}) over {len(rows)} '
              'interleaved repeats')
    return dict(rows=rows, ratios=ratios, median=median)


if __name__ == '__main__':
    main()
