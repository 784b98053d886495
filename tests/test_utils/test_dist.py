# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus.utils.dist: rows gathered from ranks of different batch sizes,
with and without gradients, and a process group that ends cleanly."""
import textwrap

import pytest
import torch
from kd_test_utils import run_script

from mmkd_plus.utils.dist import (all_gather_rows, dist_info,
                                  finish_distributed, gathered_sizes,
                                  is_distributed)


def test_single_process_is_the_identity():
    x = torch.arange(6.0).reshape(3, 2).requires_grad_()
    assert dist_info() == (0, 1) and not is_distributed()
    assert gathered_sizes(x) == [3]
    out = all_gather_rows(x)
    assert torch.equal(out, x) and not out.requires_grad
    assert all_gather_rows(x, grad=True) is x
    finish_distributed()  # no process group: nothing to do


DDP_SCRIPT = textwrap.dedent('''
    import os
    import sys

    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp

    from mmkd_plus.utils.dist import (all_gather_rows, dist_info,
                                      finish_distributed, gathered_sizes)

    OUT = sys.argv[1]


    def worker(rank):
        torch.set_num_threads(1)
        dist.init_process_group(
            'gloo', init_method='file://' + os.path.join(OUT, 'rdv'),
            rank=rank, world_size=2)
        # rank 0 holds 2 rows, rank 1 holds 3
        x = torch.full((2 + rank, 2), float(rank + 1)).requires_grad_()
        rows = all_gather_rows(x)
        both = all_gather_rows(x, grad=True)
        # rank r weighs the gathered rows by (r + 1): every rank's rows
        # receive the sum over ranks of the weights, 1 + 2 = 3
        (both.sum() * (rank + 1)).backward()
        torch.save(dict(info=dist_info(), sizes=gathered_sizes(x),
                        rows=rows, grad_rows=both.detach(),
                        requires_grad=rows.requires_grad, grad=x.grad),
                   os.path.join(OUT, f'rank{rank}.pth'))
        finish_distributed()
        assert not dist.is_initialized()


    if __name__ == '__main__':
        mp.spawn(worker, nprocs=2, join=True)
''')


@pytest.mark.slow
def test_rows_of_unequal_ranks_and_their_gradients(tmp_path):
    run_script(DDP_SCRIPT, tmp_path)
    expected = torch.tensor([[1.0, 1.0]] * 2 + [[2.0, 2.0]] * 3)
    for rank in (0, 1):
        out = torch.load(tmp_path / f'rank{rank}.pth')
        assert out['info'] == (rank, 2)
        assert out['sizes'] == [2, 3]
        assert torch.equal(out['rows'], expected)
        assert torch.equal(out['grad_rows'], expected)
        assert not out['requires_grad']
        assert torch.equal(out['grad'], torch.full((2 + rank, 2), 3.0))
