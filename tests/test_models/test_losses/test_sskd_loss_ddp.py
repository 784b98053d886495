# Copyright (c) OpenMMLab. All rights reserved.
"""SSKD's losses under DDP (2 gloo processes) equal one process's on the
same global batch: the values averaged over the ranks and the gradients
as DDP averages them."""
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from mmpretrain.structures import DataSample

from mmkd_plus.models.losses import (SSKDContrastiveLoss, SSKDHeadLoss,
                                     SSKDKLLoss)

B, V, D_IN, D = 6, 4, 5, 7  # global batch of 6 images (3 per rank)


def make_batch():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B * V, D_IN, generator=g)
    t = torch.randn(B * V, D, generator=g)
    labels = torch.randint(0, D, (B, ), generator=g)
    weight = torch.randn(D, D_IN, generator=g)
    return x, t, labels, weight


def samples(labels):
    out = []
    for label in labels.tolist():
        ds = DataSample().set_gt_label(label)
        ds.set_field(torch.arange(V), 'view_labels')
        out.append(ds)
    return out


def losses_and_grad(x, t, labels, weight):
    """Each loss (with selection) on s = x W^T, and d(sum)/dW."""
    weight = weight.clone().requires_grad_(True)
    s = x @ weight.t()
    ds = samples(labels)
    values = [
        SSKDContrastiveLoss(tau=0.5, select_ratio=0.5)(s, t, ds),
        SSKDKLLoss(tau=4.0, views='transformed', select_ratio=0.5)(s, t, ds),
        SSKDKLLoss(tau=4.0, views='normal')(s, t, ds),
        SSKDHeadLoss('contrastive')(s, ds),
    ]
    sum(values).backward()
    return torch.stack([v.detach() for v in values]), weight.grad


WORKER = textwrap.dedent('''
    import os, sys
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    sys.path.insert(0, {tests!r})
    import mmkd_plus  # noqa: F401
    from test_models.test_losses.test_sskd_loss_ddp import (
        B, V, losses_and_grad, make_batch)
    OUT = {out!r}

    def worker(rank):
        torch.set_num_threads(1)
        dist.init_process_group(
            'gloo', init_method='file://' + os.path.join(OUT, 'rdv'),
            rank=rank, world_size=2)
        x, t, labels, weight = make_batch()
        n = B // 2
        rows = slice(rank * n * V, (rank + 1) * n * V)
        values, grad = losses_and_grad(x[rows], t[rows],
                                       labels[rank * n:(rank + 1) * n],
                                       weight)
        dist.all_reduce(grad)  # what DDP does: the mean over the ranks
        torch.save(dict(values=values, grad=grad / 2),
                   os.path.join(OUT, f'rank{{rank}}.pth'))
        dist.destroy_process_group()

    if __name__ == '__main__':
        mp.spawn(worker, nprocs=2, join=True)
''')


@pytest.mark.slow
def test_two_ranks_equal_one_process(tmp_path):
    tests = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / 'worker.py'
    script.write_text(WORKER.format(tests=tests, out=str(tmp_path)))
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, str(script)],
                          capture_output=True,
                          text=True,
                          env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in (0, 1)]
    values, grad = losses_and_grad(*make_batch())
    # the selection must matter for this batch (else it tests little)
    x, t, labels, _ = make_batch()
    assert values[0] != SSKDContrastiveLoss(select_ratio=1.0)(
        x @ make_batch()[3].t(), t, samples(labels))
    mean = (ranks[0]['values'] + ranks[1]['values']) / 2
    assert torch.allclose(mean, values, rtol=1e-5, atol=1e-6), (mean, values)
    for r in ranks:
        assert torch.allclose(r['grad'], grad, rtol=1e-4, atol=1e-6)
