# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""t-SNE of a model's penultimate features, coloured by class and by group.

The settings of the MFD supplement (§1.4, Figure 5 of "Fair Feature
Distillation for Visual Recognition", https://arxiv.org/abs/2106.04411):
scikit-learn's ``TSNE`` with 3 dimensions, perplexity 200, early
exaggeration 1.0, 250 iterations, cosine metric, random state 5, the rest
at scikit-learn's defaults. The features are the input of the model's
classification head (``head.fc``; ``--layer`` picks another module) on the
config's test set; the PNG shows the 3-d embedding twice, coloured by class
and by sensitive group. A distillation config embeds its student (give its
checkpoint) or, with ``--teacher``, its teacher.

    python tools/analysis/tsne.py CONFIG CHECKPOINT --out tsne.png
"""
import argparse
import os.path as osp
from typing import Optional, Tuple

import numpy as np

import mmkd_plus  # noqa: F401
import torch
from mmengine.config import Config, DictAction
from mmkd_plus.analysis import build_model_and_loader

#: the supplement's settings (§1.4)
TSNE_ARGS = dict(
    n_components=3,
    perplexity=200.0,
    early_exaggeration=1.0,
    max_iter=250,
    metric='cosine',
    random_state=5)


def embed(features: np.ndarray, **overrides) -> np.ndarray:
    """The t-SNE embedding of ``features`` (N, D) with :data:`TSNE_ARGS`.

    The perplexity is lowered to ``(N - 1) / 3`` when there are too few
    points for 200 (scikit-learn requires perplexity < N).
    """
    from sklearn.manifold import TSNE
    args = dict(TSNE_ARGS, **overrides)
    args['perplexity'] = min(args['perplexity'],
                             max(1.0, (len(features) - 1) / 3))
    return TSNE(**args).fit_transform(features.astype(np.float32))


def extract(cfg: Config, checkpoint: Optional[str], layer: str,
            teacher: bool = False,
            max_samples: Optional[int] = None
            ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features (the input of ``layer``), labels and groups of the test
    set."""
    # a distillation run's checkpoint holds its teacher
    overrides = dict(teacher_ckpt=None) if 'teacher_ckpt' in cfg.model \
        else {}
    model, loader = build_model_and_loader(
        cfg, checkpoint=checkpoint, **overrides)
    net = model
    if hasattr(model, 'teacher'):
        net = model.teacher if teacher else model.student
    module = dict(net.named_modules()).get(layer)
    if module is None:
        raise ValueError(f'--layer {layer!r} is not a module of the model.')
    feats, labels, groups = [], [], []
    hook = module.register_forward_hook(
        lambda m, inp, out: feats.append(inp[0].detach().flatten(1)))
    model.eval()
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            net(data['inputs'], data['data_samples'], mode='tensor')
            for s in data['data_samples']:
                if 'group' not in s:
                    raise ValueError(
                        'the test set has no group labels; use a fairness '
                        'dataset (CIFAR10S, DigitsS, UTKFace, CelebA).')
                labels.append(int(s.gt_label))
                groups.append(int(s.group))
            if max_samples and len(labels) >= max_samples:
                break
    hook.remove()
    n = len(labels) if not max_samples else min(len(labels), max_samples)
    return (torch.cat(feats).numpy()[:n], np.array(labels[:n]),
            np.array(groups[:n]))


def plot(points: np.ndarray, labels: np.ndarray, groups: np.ndarray,
         title: str, out: str) -> None:
    """Two 3-d scatter plots side by side: by class, by group."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(11, 5))
    for i, (values, name) in enumerate(((labels, 'class'),
                                        (groups, 'group'))):
        ax = fig.add_subplot(1, 2, i + 1, projection='3d')
        sc = ax.scatter(points[:, 0], points[:, 1], points[:, 2], c=values,
                        cmap='tab10', s=4)
        ax.set_title(f'coloured by {name}')
        ax.legend(*sc.legend_elements(), fontsize='x-small', loc='upper left')
    fig.suptitle(title, fontsize='medium')
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--out', default='tsne.png')
    parser.add_argument('--layer', default='head.fc',
                        help='embed the input of this module')
    parser.add_argument('--teacher', action='store_true',
                        help='embed the teacher of a distillation config')
    parser.add_argument('--max-samples', type=int)
    parser.add_argument('--max-iter', type=int,
                        help='override the 250 iterations (tests)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> np.ndarray:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    feats, labels, groups = extract(cfg, args.checkpoint, args.layer,
                                    args.teacher, args.max_samples)
    overrides = {} if args.max_iter is None else dict(max_iter=args.max_iter)
    points = embed(feats, **overrides)
    name = osp.splitext(osp.basename(args.config))[0]
    plot(points, labels, groups,
         f'{name}{" (teacher)" if args.teacher else ""}: t-SNE of '
         f'{args.layer} inputs, {len(labels)} test samples', args.out)
    print(args.out)
    return points


if __name__ == '__main__':
    main()
