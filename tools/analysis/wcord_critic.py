# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""How much class information WCoRD's critic embeddings carry.

WCoRD's critic scores a (teacher, student) pair by the cosine of its two
embeddings, e_T(t) and e_S(s) (``WCoRDLoss.embed_t`` / ``embed_s`` on the
networks' pooled features; "Wasserstein Contrastive Representation
Distillation", https://arxiv.org/abs/2012.08674). Its contrastive term only
teaches the student the classes if embeddings of different classes stay
apart. On the config's test set this tool reports, for e_T, e_S and, as a
reference, the teacher's pooled features themselves: the leave-one-out
nearest-neighbour accuracy under the cosine (how well an embedding tells
the classes apart) and the mean cosine between samples of different
classes. Embeddings that lose the classes show a falling 1-NN accuracy.

    # a trained WCoRD run (its checkpoint holds the critic's embeddings)
    python tools/analysis/wcord_critic.py CONFIG work_dirs/RUN/epoch_60.pth
    # the same config before training (embeddings as initialised)
    python tools/analysis/wcord_critic.py CONFIG --seed 0
"""
import argparse
import os.path as osp
from typing import Dict, List, Optional

import mmkd_plus  # noqa: F401
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmkd_plus.analysis import build_model_and_loader
from torch import Tensor


def class_information(feats: Tensor, labels: Tensor) -> Dict[str, float]:
    """The class information of ``feats`` (N, D): ``nn_accuracy``, the
    leave-one-out nearest-neighbour accuracy (%) under the cosine, and
    ``other_cosine``, the mean cosine between samples of different
    classes."""
    x = F.normalize(feats.double(), dim=1)
    cos = x @ x.t()
    centred = F.normalize(x - x.mean(0), dim=1)
    other = labels[:, None] != labels[None, :]
    if not other.any() or len(labels) < 3:
        raise ValueError('need at least three samples of two classes')
    nearest = (centred @ centred.t()).fill_diagonal_(-float('inf')).argmax(1)
    return dict(
        nn_accuracy=100.0 * (labels[nearest] == labels).double().mean().item(),
        other_cosine=cos[other].mean().item())


def _wcord_loss(model):
    losses = [
        loss for loss in model.distiller.distill_losses.values()
        if hasattr(loss, 'embed_t') and hasattr(loss, 'embed_s')
    ]
    if len(losses) != 1:
        raise ValueError(
            'the config must have one WCoRD loss (a distill loss with '
            f'embed_t and embed_s) in model.distiller.distill_losses; found '
            f'{len(losses)}')
    return losses[0]


def measure(cfg: Config,
            checkpoint: Optional[str] = None,
            max_samples: Optional[int] = None) -> Dict[str, Dict[str, float]]:
    """``{'teacher features' | 'e_T' | 'e_S': class_information}`` on the
    test set of ``cfg``, for the checkpoint's weights (or the config's
    initialisation and teacher checkpoint without one)."""
    # the run checkpoint holds the teacher
    overrides = dict(teacher_ckpt=None) if checkpoint else {}
    model, loader = build_model_and_loader(
        cfg, checkpoint=checkpoint, strict=True, **overrides)
    loss = _wcord_loss(model)
    model.eval()
    out: Dict[str, List[Tensor]] = {
        'teacher features': [],
        'e_T': [],
        'e_S': [],
        'labels': []
    }
    seen = 0
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            t = model.teacher.extract_feat(data['inputs'])[-1].flatten(1)
            s = model.student.extract_feat(data['inputs'])[-1].flatten(1)
            out['teacher features'].append(t)
            out['e_T'].append(loss.embed_t(t))
            out['e_S'].append(loss.embed_s(s))
            out['labels'].append(
                torch.cat([d.gt_label for d in data['data_samples']]))
            seen += len(t)
            if max_samples and seen >= max_samples:
                break
    labels = torch.cat(out.pop('labels'))[:max_samples]
    return {
        name: class_information(torch.cat(parts)[:max_samples], labels)
        for name, parts in out.items()
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="class information in WCoRD's critic embeddings")
    parser.add_argument('config', help='a WCoRD config')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='a checkpoint of a run of the config (without one: the '
        'embeddings as initialised, after --seed)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the initialisation; default 0')
    parser.add_argument(
        '--max-samples', type=int, help='test samples to use; default all')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config (key=value)')
    return parser.parse_args(argv)


def main(argv=None) -> Dict[str, Dict[str, float]]:
    args = parse_args(argv)
    if args.checkpoint and not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(args.seed)
    result = measure(cfg, args.checkpoint, args.max_samples)
    print('| features | 1-NN accuracy (%) | cosine, other classes |')
    print('|---|---:|---:|')
    for name, values in result.items():
        print(f"| {name} | {values['nn_accuracy']:.2f} | "
              f"{values['other_cosine']:.3f} |")
    return result


if __name__ == '__main__':
    main()
