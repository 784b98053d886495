# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Tune QuEST's tau: the mean closest-word probability over a range of tau.

QuEST (Jain et al., ECCV 2020, https://arxiv.org/abs/1912.01540) turns
the teacher's feature vectors into soft assignments
``p_T(k|u) = softmax_k(-||t_u - v_k||^2 / tau)`` and chooses tau so that
the mean probability of the closest visual word is about 0.996 (QuEST
supplement, C.2). tau depends on the scale of the features, so a new
teacher or layer needs its own. For a QuEST config and a teacher
checkpoint this tool

1. extracts the teacher's vectors at the distilled layer (pooled by the
   loss's ``downscale``) over ``--num-images`` training images, with the
   test pipeline, as the vocabulary hook does
   (:class:`mmkd_plus.engine.TeacherFeatureExtractor`, a seeded sample of
   at most the hook's k-means budget);
2. loads the vocabulary from ``--vocab-file`` (the loss's
   ``load_vocabulary`` of the hook, as its ``vocab_file``), or builds it with
   the hook's k-means settings (the loss's ``build_vocabulary``);
3. prints :func:`mmkd_plus.ops.quest.closest_word_probability` over a
   range of tau and the tau reaching ``--target``
   (:func:`mmkd_plus.ops.quest.tau_for_closest_word_probability`).

    python tools/analysis/quest_tau.py CONFIG TEACHER_CKPT \\
        [--vocab-file FILE] [--num-images N] [--loss-name loss_quest] \\
        [--num-words K] [--taus T ...] [--target 0.996] [--out FILE.json] \\
        [--cfg-options k=v ...]

Single process, on the CPU unless ``--device`` says otherwise.
"""
import argparse
import json
import math

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import MODELS, DefaultScope

from mmkd_plus.engine import (
    TeacherFeatureExtractor, find_quest_loss, vocabulary_dataloader)
from mmkd_plus.engine.hooks.quest_vocabulary_hook import \
    load_vocabulary
from mmkd_plus.ops.quest import (
    closest_word_probability, tau_for_closest_word_probability)
from mmkd_plus.utils import runner_model_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Mean closest-word probability of a QuEST vocabulary '
        'over a range of tau, and the tau reaching a target')
    parser.add_argument('config', help='a QuEST distillation config')
    parser.add_argument('checkpoint', help='the teacher checkpoint')
    parser.add_argument(
        '--vocab-file',
        help='a (K, C_T) vocabulary (or a dict with key "vocab", as the '
        "hook's save_vocab_file writes); default: run k-means as the hook")
    parser.add_argument(
        '--num-images',
        type=int,
        default=None,
        help='training images to use (seeded subset); default: the '
        "hook's num_images (None = all)")
    parser.add_argument(
        '--loss-name',
        default=None,
        help='the QuESTLoss to study (default: the first hook\'s, or '
        'loss_quest)')
    parser.add_argument(
        '--num-words',
        type=int,
        default=None,
        help='override K (the loss, its connector and the hook)')
    parser.add_argument(
        '--taus',
        type=float,
        nargs='+',
        default=None,
        help='tau values to tabulate (default: a geometric grid around '
        'the tau reaching the target, and the config\'s tau)')
    parser.add_argument(
        '--target',
        type=float,
        default=0.996,
        help='wanted mean closest-word probability (QuEST: 0.996)')
    parser.add_argument(
        '--device', default='cpu', help='device of the teacher pass')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


def _hook_cfg(cfg: Config, loss_name: str = None) -> dict:
    """The config's QuESTVocabularyHook entry for ``loss_name``."""
    hooks = [
        dict(h) for h in cfg.get('custom_hooks', [])
        if h.get('type') in ('QuESTVocabularyHook',
                             'mmrazor.QuESTVocabularyHook')
    ]
    if loss_name is None:
        return hooks[0] if hooks else dict(loss_name='loss_quest')
    for hook in hooks:
        if hook.get('loss_name', 'loss_quest') == loss_name:
            return hook
    return dict(loss_name=loss_name)


def _set_num_words(cfg: Config, loss_name: str, num_words: int) -> None:
    """Make the loss ``loss_name`` and its connector use ``num_words``."""
    distiller = cfg.model.distiller
    distiller.distill_losses[loss_name].num_words = num_words
    mapping = distiller.loss_forward_mappings[loss_name]
    connector = mapping.get('s_logits', {}).get('connector')
    if connector is not None:
        distiller.connectors[connector].num_words = num_words


def build_teacher_features(cfg: Config,
                           checkpoint: str,
                           hook_cfg: dict,
                           device: str = 'cpu'):
    """The distillation model and the teacher vectors the hook clusters.

    Args:
        cfg (Config): The QuEST config.
        checkpoint (str): Teacher checkpoint.
        hook_cfg (dict): QuESTVocabularyHook keys (``loss_name``,
            ``num_images``, ...).
        device (str): Device of the teacher pass.

    Returns:
        tuple: ``(loss, feats, num_seen, num_images)``: the QuESTLoss, the
        ``(N, C_T)`` CPU vectors (a seeded sample of at most the hook's
        k-means budget), the number of vectors seen and of images read.
    """
    model_cfg = runner_model_config(cfg, teacher_ckpt=checkpoint)
    loss_name = hook_cfg.get('loss_name', 'loss_quest')
    seed = hook_cfg.get('seed', 0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg).to(device)
        loss = find_quest_loss(model, loss_name, hook_cfg.get('num_words'))
        loader = hook_cfg.get('dataloader') or vocabulary_dataloader(
            cfg, hook_cfg.get('batch_size', 64))
        extractor = TeacherFeatureExtractor(model, loss, loss_name, loader,
                                            hook_cfg.get('recorder'),
                                            hook_cfg.get('num_images'), seed)
        budget = hook_cfg.get('max_points_per_centroid', 256) * loss.num_words
        feats, seen = extractor.extract(math.ceil(budget), seed)
    return loss, feats, seen, extractor.num_images


def default_taus(tau_target: float, tau_config: float) -> list:
    """A geometric grid of tau around ``tau_target``, plus the config's."""
    grid = [tau_target * 2.0**e for e in range(-4, 5)]
    return sorted(set(grid + [tau_config]))


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    hook_cfg = _hook_cfg(cfg, args.loss_name)
    loss_name = hook_cfg.setdefault('loss_name', 'loss_quest')
    if args.num_images is not None:
        hook_cfg['num_images'] = args.num_images
    if args.num_words is not None:
        _set_num_words(cfg, loss_name, args.num_words)
        hook_cfg.pop('num_words', None)

    loss, feats, num_seen, num_images = build_teacher_features(
        cfg, args.checkpoint, hook_cfg, args.device)
    if feats.shape[0] == 0:
        raise ValueError('No teacher vectors were extracted.')
    if args.vocab_file is not None:
        load_vocabulary(loss, args.vocab_file)
        source = args.vocab_file
    else:
        stats = loss.build_vocabulary(
            feats,
            niter=hook_cfg.get('niter', 20),
            seed=hook_cfg.get('seed', 0),
            max_points_per_centroid=hook_cfg.get('max_points_per_centroid',
                                                 256),
            backend=hook_cfg.get('backend', 'auto'))
        source = f"k-means ({stats['backend']}, {stats['points']} points)"
    vocab = loss.vocab.to(feats.device)

    tau_target = tau_for_closest_word_probability(feats, vocab, args.target)
    taus = args.taus or default_taus(tau_target, loss.tau)
    table = [
        dict(
            tau=float(tau),
            prob=float(closest_word_probability(feats, vocab, tau)))
        for tau in taus
    ]

    print(f'QuEST {loss_name}: K={loss.num_words}, '
          f'C_T={loss.feat_channels}, downscale={loss.downscale}; '
          f'{feats.shape[0]} teacher vectors (of {num_seen}) from '
          f'{num_images} images; vocabulary: {source}.')
    print('| tau | beta = 1/tau | mean closest-word probability |')
    print('|---:|---:|---:|')
    for row in table:
        mark = ' (config)' if math.isclose(row['tau'], loss.tau) else ''
        print(f"| {row['tau']:.4g}{mark} | {1.0 / row['tau']:.4g} | "
              f"{row['prob']:.4f} |")
    print(f'tau reaching a mean closest-word probability of '
          f'{args.target:g}: {tau_target:.4g} (beta = '
          f'{1.0 / tau_target:.4g}); the config has tau={loss.tau:g}.')

    results = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        loss_name=loss_name,
        num_words=loss.num_words,
        num_images=num_images,
        num_vectors=int(feats.shape[0]),
        vocab=source,
        config_tau=loss.tau,
        target=args.target,
        tau_for_target=tau_target,
        table=table)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    torch.set_grad_enabled(False)
    main()
