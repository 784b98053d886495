# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Image retrieval in QuEST's quantised embedding spaces.

The QuEST supplement's Figure 2 (Jain et al., ECCV 2020,
https://arxiv.org/abs/1912.01540): a query image is represented by the
teacher's soft-assignment map p_T and every database image by the
student's predicted map p_S, both flattened from ``K x H x W`` to
``KHW`` vectors; the similarity is their dot product. When distillation
aligned the two spaces, a query retrieves itself first and then images of
the same class.

    python tools/analysis/quest_retrieval.py CONFIG CHECKPOINT \\
        [--loss-name loss_quest] [--num-queries 10] [--topk 10] \\
        [--split test] [--show-dir DIR] [--out FILE.json]

``CHECKPOINT`` is a QuEST distillation checkpoint (student, teacher,
connector and the vocabulary buffer of the loss). The database is the
test (or validation) set; the queries a seeded random sample of it. The
database is streamed batch by batch against the queries, so memory stays
``num_queries x KHW`` plus one batch. It prints the rate at which a query
retrieves itself at rank 1 and the mean fraction of the top-k that share
the query's label; ``--show-dir`` saves a PNG grid per run.
"""
import argparse
import json
import os
import os.path as osp

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction

from mmkd_plus.analysis import build_model_and_loader
from mmkd_plus.engine import find_quest_loss
from mmkd_plus.ops.quest import soft_assign
from mmkd_plus.ops.quest_fused import materialize_scores


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Retrieval with teacher-assignment queries against '
        'student-assignment database images (QuEST supplement, Fig. 2)')
    parser.add_argument('config', help='a QuEST distillation config')
    parser.add_argument(
        'checkpoint',
        help='a QuEST distillation checkpoint (with the '
        'vocabulary)')
    parser.add_argument(
        '--loss-name',
        default='loss_quest',
        help='the QuESTLoss whose vocabulary and connector to use')
    parser.add_argument(
        '--num-queries', type=int, default=10, help='random queries')
    parser.add_argument(
        '--topk', type=int, default=10, help='images retrieved per query')
    parser.add_argument(
        '--split',
        choices=['test', 'val'],
        default='test',
        help='the dataloader whose images form the database')
    parser.add_argument(
        '--batch-size', type=int, default=64, help='images per forward')
    parser.add_argument('--seed', type=int, default=0, help='query seed')
    parser.add_argument('--device', default='cpu', help='device')
    parser.add_argument('--show-dir', help='save a PNG grid here')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


def _label(sample) -> int:
    return int(sample.gt_label[0]) if 'gt_label' in sample else -1


@torch.no_grad()
def assignment_maps(model, loss_name: str, data: dict):
    """Flattened ``p_T`` and ``p_S`` (``(B, KHW)`` each) of one batch.

    Args:
        model: The distillation model (SingleTeacherDistill).
        loss_name (str): The QuESTLoss in ``distill_losses``.
        data (dict): A preprocessed batch (``inputs``, ``data_samples``).

    Returns:
        tuple[Tensor, Tensor]: ``p_T`` and ``p_S``, both in the
        ``(B, H, W, K)`` order, flattened.
    """
    distiller = model.distiller
    loss = distiller.distill_losses[loss_name]
    mapping = distiller.loss_forward_mappings[loss_name]
    with distiller.student_recorders, distiller.teacher_recorders:
        model.architecture(data['inputs'], mode='tensor')
        model.teacher(data['inputs'], mode='tensor')
    scores = materialize_scores(
        distiller.get_record(**mapping['s_logits']))  # lazy connectors
    t_feat = loss.pool_teacher(
        distiller.get_record(**mapping['t_feature']).float())
    p_t = soft_assign(t_feat, loss.vocab, loss.tau)  # (B, H, W, K)
    p_s = F.softmax(scores.float(), dim=1).permute(0, 2, 3, 1)
    if p_t.shape != p_s.shape:
        raise ValueError(f'p_T {tuple(p_t.shape)} and p_S '
                         f'{tuple(p_s.shape)} differ in shape.')
    return p_t.flatten(1), p_s.flatten(1)


def _save_grid(images, rows, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    ncols = len(rows[0]['retrieved']) + 1
    fig, axes = plt.subplots(
        len(rows), ncols, figsize=(ncols, len(rows)), squeeze=False)
    for r, row in enumerate(rows):
        for c, idx in enumerate([row['query']] + row['retrieved']):
            ax = axes[r][c]
            img = images[idx]
            ax.imshow(img.permute(1, 2, 0).numpy())
            ax.set_xticks([])
            ax.set_yticks([])
            if c > 0 and idx == row['query']:
                for side in ax.spines.values():
                    side.set_edgecolor('red')
                    side.set_linewidth(2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    loader_cfg = cfg[f'{args.split}_dataloader'].copy()
    loader_cfg.update(
        batch_size=args.batch_size,
        num_workers=0,
        persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False))
    # the checkpoint holds the teacher
    model, dataloader = build_model_and_loader(
        cfg, loader_cfg, args.checkpoint, teacher_ckpt=None)
    model.to(args.device).eval()
    loss = find_quest_loss(model, args.loss_name)
    if not loss.is_ready:
        raise RuntimeError(f'{args.checkpoint} holds no vocabulary for '
                           f'{args.loss_name} (vocab_ready is False).')

    num_images = len(dataloader.dataset)
    generator = torch.Generator().manual_seed(args.seed)
    queries = sorted(
        torch.randperm(num_images,
                       generator=generator)[:args.num_queries].tolist())
    topk = min(args.topk, num_images)

    # pass 1: the queries' p_T (only the batches that hold a query)
    q_vecs = {}
    offset = 0
    for data_batch in dataloader:
        b = len(data_batch['inputs'])
        mine = [q for q in queries if offset <= q < offset + b]
        if mine:
            data = model.data_preprocessor(data_batch, False)
            p_t, _ = assignment_maps(model, args.loss_name, data)
            for q in mine:
                q_vecs[q] = p_t[q - offset]
        offset += b
    q_mat = torch.stack([q_vecs[q] for q in queries])  # (Q, KHW)

    # pass 2: every database image's p_S, scored against the queries batch
    # by batch (memory: the queries and one batch)
    sims = torch.empty(len(queries), num_images)
    labels, images = [], []
    offset = 0
    for data_batch in dataloader:
        data = model.data_preprocessor(data_batch, False)
        _, p_s = assignment_maps(model, args.loss_name, data)
        sims[:, offset:offset + p_s.shape[0]] = q_mat @ p_s.t()
        labels += [_label(s) for s in data['data_samples']]
        if args.show_dir:
            images += [img.cpu() for img in data_batch['inputs']]
        offset += p_s.shape[0]
    top = sims.topk(topk, dim=1).indices

    rows, self_hits, precisions = [], 0, []
    for qi, q in enumerate(queries):
        retrieved = top[qi].tolist()
        self_hits += int(retrieved[0] == q)
        same = [labels[j] == labels[q] for j in retrieved if j != q]
        precisions.append(sum(same) / max(len(same), 1))
        rows.append(dict(query=q, label=labels[q], retrieved=retrieved))
    results = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        loss_name=args.loss_name,
        num_images=num_images,
        num_queries=len(queries),
        topk=topk,
        self_at_1=self_hits / len(queries),
        same_label_precision=sum(precisions) / len(precisions),
        queries=rows)
    print(f'QuEST retrieval ({args.loss_name}, K={loss.num_words}): '
          f'{len(queries)} teacher-map queries against {num_images} '
          f'student-map images; the query itself at rank 1: '
          f"{results['self_at_1']:.2%}; same-label precision@{topk} "
          f"(query excluded): {results['same_label_precision']:.2%}.")
    if args.show_dir:
        os.makedirs(args.show_dir, exist_ok=True)
        path = osp.join(args.show_dir, 'quest_retrieval.png')
        _save_grid(images, rows, path)
        results['figure'] = path
        print(f'Saved {path}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
