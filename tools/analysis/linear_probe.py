# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Linear probe of a frozen network's pooled features on another dataset.

The SSKD supplement's Table 1 (Xu et al., ECCV 2020,
https://arxiv.org/abs/2006.07114), following CRD: the backbone (and neck)
of a student trained on one dataset is frozen, it extracts the pooled
features of another dataset's train and test images, and a linear
classifier (scikit-learn's multinomial logistic regression on standardised
features) is trained on the former and evaluated on the latter.

    python tools/analysis/linear_probe.py CONFIG CHECKPOINT PROBE_CONFIG \\
        [--side student|teacher] [--max-train N] [--max-test N] \\
        [--C 1.0] [--out FILE.json]

``CONFIG``/``CHECKPOINT``: the network, a distillation config and
checkpoint (``--side`` picks the student, under ``architecture.``, or the
teacher) or a plain classifier's. ``PROBE_CONFIG``: any config whose
``train_dataloader`` and ``test_dataloader`` give the probe data, read
with its test pipeline and normalised by its ``data_preprocessor`` (e.g.
the digits config to probe a digits student on its held-out split, or a
config of STL-10 / TinyImageNet in ImageNet's folder layout as the
supplement).
"""
import argparse
import copy
import json

import mmkd_plus  # noqa: F401
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from mmkd_plus.utils import network_config


def build_network(cfg: Config, checkpoint: str, side: str = 'student'):
    """The classifier of ``side`` with the checkpoint's weights, frozen."""
    model_cfg = copy.deepcopy(cfg.model)
    distill = 'architecture' in model_cfg
    if distill:
        key = 'architecture' if side == 'student' else 'teacher'
        # a network given by the config that trains it (cfg_path)
        model_cfg = network_config(model_cfg[key], f'model.{key}')
    elif side == 'teacher':
        raise ValueError('--side teacher needs a distillation config')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        network = MODELS.build(model_cfg)
    state = _load_checkpoint(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    prefix = ('architecture.' if side == 'student' else 'teacher.')
    if any(k.startswith(prefix) for k in state):
        state = {
            k[len(prefix):]: v
            for k, v in state.items() if k.startswith(prefix)
        }
    missing, unexpected = network.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith('data_preprocessor')]
    if missing:
        raise ValueError(
            f'{checkpoint!r} does not hold the {side} of {cfg.filename!r}: '
            f'{len(missing)} weights missing, e.g. {missing[:3]}')
    return network.eval().requires_grad_(False)


@torch.no_grad()
def extract_features(network, preprocessor, dataloader, limit=None):
    """Pooled features (N, d) and labels (N, ) of a dataloader."""
    feats, labels = [], []
    for batch in dataloader:
        data = preprocessor(batch, False)
        out = network.extract_feat(data['inputs'])
        out = out[-1] if isinstance(out, (tuple, list)) else out
        feats.append(out.flatten(1).float().cpu())
        labels.append(
            torch.cat(
                [s.gt_label.reshape(-1)[:1] for s in data['data_samples']]))
        if limit and sum(len(x) for x in labels) >= limit:
            break
    x, y = torch.cat(feats).numpy(), torch.cat(labels).numpy()
    return (x[:limit], y[:limit]) if limit else (x, y)


def fit_probe(train, test, C: float = 1.0, seed: int = 0) -> dict:
    """Logistic regression on standardised features; the accuracies."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    probe = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=C, max_iter=2000, random_state=seed))
    probe.fit(*train)
    return dict(
        train_top1=100.0 * probe.score(*train),
        test_top1=100.0 * probe.score(*test),
        num_train=int(len(train[1])),
        num_test=int(len(test[1])),
        feat_dim=int(train[0].shape[1]),
        num_classes=int(len(np.unique(train[1]))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Linear probe of frozen pooled features on another '
        'dataset (SSKD supplement, Table 1)')
    parser.add_argument('config', help='the network\'s config')
    parser.add_argument('checkpoint', help='the network\'s checkpoint')
    parser.add_argument(
        'probe_config',
        help='a config whose train/test dataloaders give '
        'the probe data')
    parser.add_argument(
        '--side', choices=('student', 'teacher'), default='student')
    parser.add_argument('--max-train', type=int, default=None)
    parser.add_argument('--max-test', type=int, default=None)
    parser.add_argument(
        '--C',
        type=float,
        default=1.0,
        help='inverse L2 strength of the logistic regression')
    parser.add_argument('--out', help='write the result as JSON')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='key=value overrides of '
        'PROBE_CONFIG (e.g. data roots)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    probe_cfg = Config.fromfile(args.probe_config)
    probe_cfg.merge_from_dict(args.cfg_options)
    network = build_network(cfg, args.checkpoint, args.side)
    with DefaultScope.overwrite_default_scope(probe_cfg.default_scope):
        preprocessor = MODELS.build(probe_cfg.data_preprocessor)
        splits = {}
        for split, limit in (('train', args.max_train), ('test',
                                                         args.max_test)):
            loader = copy.deepcopy(probe_cfg.test_dataloader)
            loader.dataset = copy.deepcopy(
                probe_cfg[f'{split}_dataloader'].dataset)
            # the test pipeline for both: no augmentation
            loader.dataset.pipeline = \
                probe_cfg.test_dataloader.dataset.pipeline
            loader.sampler = dict(type='DefaultSampler', shuffle=False)
            splits[split] = extract_features(network, preprocessor,
                                             Runner.build_dataloader(loader),
                                             limit)
    result = fit_probe(splits['train'], splits['test'], C=args.C)
    result.update(
        config=args.config,
        checkpoint=args.checkpoint,
        side=args.side,
        probe_config=args.probe_config)
    print(f"linear probe ({args.side}, {result['feat_dim']}-d features, "
          f"{result['num_train']} train / {result['num_test']} test "
          f"images): test top-1 {result['test_top1']:.2f} "
          f"(train {result['train_top1']:.2f})")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
