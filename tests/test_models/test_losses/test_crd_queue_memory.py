# Copyright (c) OpenMMLab. All rights reserved.
"""CRD's queue memory (MoCo-style) and SyncCRDLoss's memory/sample_mode
options: queue contents, NCE by hand, state dict, errors, and queues, banks
and WCoRD critics identical on two gloo DDP ranks."""
import math
import os.path as osp
import textwrap

import pytest
import torch
import torch.nn.functional as F
from kd_test_utils import run_script
from mmpretrain.structures import DataSample

from mmkd_plus.models.losses.crd_memory import CRDQueueMemory
from mmkd_plus.models.losses.sync_crd_loss import SyncCRDLoss

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _samples(idx, contrast=None):
    out = []
    for i, k in enumerate(idx):
        s = DataSample(metainfo=dict(sample_idx=k))
        if contrast is not None:
            s.set_field(torch.tensor(contrast[i]), 'contrast_idx')
        out.append(s)
    return out


def test_queue_contents_after_several_updates():
    memory = CRDQueueMemory(num_data=100, queue_size=5, feat_dim=2)
    batches = [torch.full((2, 2), float(k)) for k in range(1, 4)]
    for k, b in enumerate(batches):
        memory.update(b, -b)
        assert int(memory.queue_ptr) == (2 * (k + 1)) % 5
    # rows 0, 1 <- batch 1; 2, 3 <- batch 2; 4, 0 <- batch 3 (wrapped)
    assert memory.queue_s[:, 0].tolist() == [3.0, 1.0, 2.0, 2.0, 3.0]
    assert memory.queue_t[:, 0].tolist() == [-3.0, -1.0, -2.0, -2.0, -3.0]
    # a batch exactly the size of the queue replaces every row, in order
    full = torch.arange(10.0).view(5, 2)
    memory.update(full, full)
    assert torch.equal(memory.queue_s.roll(-1, 0), full)
    with pytest.raises(ValueError, match='queue_size=5'):
        memory.update(torch.ones(6, 2), torch.ones(6, 2))


def _tiny_queue_loss(**kwargs):
    loss = SyncCRDLoss(
        num_data=4,
        feat_dim=2,
        temperature=1.0,
        eps=0.0,
        memory='queue',
        queue_size=2,
        **kwargs)
    memory = loss.memory
    memory.queue_t.copy_(torch.tensor([[0.0, 1.0], [-1.0, 0.0]]))
    memory.queue_s.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
    memory.z_s.fill_(4 * math.e)
    memory.z_t.fill_(4 * math.e)
    memory.z_set.fill_(True)
    return loss


def test_queue_nce_by_hand_no_data_samples_needed():
    loss = _tiny_queue_loss()
    loss.eval()
    s = torch.tensor([[1.0, 0.0]])
    t = torch.tensor([[1.0, 0.0]])
    # student anchor: positive <t, s> = 1, queue_t dots 0, -1;
    # teacher anchor: positive <s, t> = 1, queue_s dots 1, 0. Z = 4e, N/M
    # = 2/4
    noise = 0.5

    def nce(h):
        return -(
            math.log(h[0] / (h[0] + noise)) +
            sum(math.log(noise / (x + noise)) for x in h[1:]))

    z = 4 * math.e
    h_s = [math.e / z, 1 / z, math.exp(-1) / z]
    h_t = [math.e / z, math.e / z, 1 / z]
    out = loss(s, t)
    assert out.item() == pytest.approx(0.8 * (nce(h_s) + nce(h_t)), rel=1e-6)
    # data samples are accepted and ignored (no sample_idx needed)
    bare = [DataSample().set_gt_label(0)]
    assert loss(s, t, bare).item() == pytest.approx(out.item())


def test_queue_z_from_the_first_batch_and_update():
    torch.manual_seed(0)
    loss = SyncCRDLoss(num_data=50, feat_dim=8, memory='queue', queue_size=16)
    s = F.normalize(torch.randn(4, 8), dim=1).requires_grad_()
    t = F.normalize(torch.randn(4, 8), dim=1).requires_grad_()
    queue_t = loss.memory.queue_t.clone()
    queue_s = loss.memory.queue_s.clone()
    out = loss(s, t)
    assert bool(loss.memory.z_set)
    # Z from the first batch: mean over all B x (1 + K) scores, times M
    pos = torch.exp((s * t).sum(1, keepdim=True) / 0.07)
    z_s = torch.cat([pos, torch.exp(s @ queue_t.t() / 0.07)], 1)
    z_t = torch.cat([pos, torch.exp(t @ queue_s.t() / 0.07)], 1)
    assert loss.memory.z_s.item() == pytest.approx(
        z_s.double().mean().item() * 50, rel=1e-5)
    assert loss.memory.z_t.item() == pytest.approx(
        z_t.double().mean().item() * 50, rel=1e-5)
    out.backward()
    assert s.grad.abs().sum() > 0 and t.grad.abs().sum() > 0
    # training mode: the batch was enqueued at rows 0..3, the rest kept
    assert torch.equal(loss.memory.queue_s[:4], s.detach())
    assert torch.equal(loss.memory.queue_t[:4], t.detach())
    assert torch.equal(loss.memory.queue_t[4:], queue_t[4:])
    assert int(loss.memory.queue_ptr) == 4
    # eval mode: no update
    loss.eval()
    loss(s, t)
    assert int(loss.memory.queue_ptr) == 4


def test_queue_gradient_of_the_student_anchor_does_not_reach_t():
    loss = _tiny_queue_loss()
    loss.eval()
    s = torch.tensor([[0.6, 0.8]], requires_grad=True)
    t = torch.tensor([[0.8, 0.6]], requires_grad=True)
    exp_s, exp_t = loss.memory.exp_scores(s, t)
    (g_t, ) = torch.autograd.grad(exp_s.sum(), t, allow_unused=True)
    assert g_t is None
    (g_s, ) = torch.autograd.grad(exp_t.sum(), s, allow_unused=True)
    assert g_s is None


def test_queue_state_dict_round_trip_and_continuation():
    torch.manual_seed(0)
    loss = SyncCRDLoss(num_data=30, feat_dim=8, memory='queue', queue_size=7)
    s = F.normalize(torch.randn(5, 8), dim=1)
    t = F.normalize(torch.randn(5, 8), dim=1)
    loss(s, t)
    state = loss.state_dict()
    assert set(state) == {
        'memory.queue_s', 'memory.queue_t', 'memory.queue_ptr', 'memory.z_s',
        'memory.z_t', 'memory.z_set'
    }
    assert int(state['memory.queue_ptr']) == 5
    torch.manual_seed(1)
    other = SyncCRDLoss(num_data=30, feat_dim=8, memory='queue', queue_size=7)
    assert not torch.equal(other.memory.queue_s, loss.memory.queue_s)
    other.load_state_dict(state)
    for key, value in state.items():
        assert torch.equal(other.state_dict()[key], value), key
    a = loss(t, s)
    b = other(t, s)
    assert a.item() == b.item()
    assert torch.equal(loss.memory.queue_t, other.memory.queue_t)
    assert int(other.memory.queue_ptr) == 3


def test_bank_default_unchanged_and_sample_modes():
    loss = SyncCRDLoss(num_data=10, feat_dim=4, num_negatives=3)
    assert loss.memory_type == 'bank' and loss.sample_mode is None
    assert set(loss.state_dict()) == {
        'memory.memory_s', 'memory.memory_t', 'memory.z_s', 'memory.z_t',
        'memory.z_set'
    }
    s = F.normalize(torch.randn(2, 4), dim=1)
    # 'exact': the data's contrast indices are compulsory
    exact = SyncCRDLoss(
        num_data=10, feat_dim=4, num_negatives=3, sample_mode='exact')
    with pytest.raises(
            ValueError, match="sample_mode='exact'.*"
            'CRDDatasetWrapper'):
        exact(s, s, _samples([0, 1]))
    assert torch.isfinite(
        exact(s, s, _samples([0, 1], [[0, 2, 3, 4], [1, 5, 6, 7]])))
    # 'uniform': drawn here, the data's (even of another width) unused
    uniform = SyncCRDLoss(
        num_data=10, feat_dim=4, num_negatives=3, sample_mode='uniform')
    drawn = []
    uniform._uniform_contrast = lambda idx: drawn.append(idx) or \
        SyncCRDLoss._uniform_contrast(uniform, idx)
    assert torch.isfinite(uniform(s, s, _samples([0, 1], [[0, 2], [1, 3]])))
    assert len(drawn) == 1


def test_option_errors_name_the_key():
    with pytest.raises(ValueError, match='memory must be one of'):
        SyncCRDLoss(num_data=10, memory='ring')
    with pytest.raises(ValueError, match='sample_mode must be one of'):
        SyncCRDLoss(num_data=10, sample_mode='relax')
    with pytest.raises(ValueError, match="memory='queue'.*sample_mode None"):
        SyncCRDLoss(num_data=10, memory='queue', sample_mode='exact')
    loss = SyncCRDLoss(num_data=10, feat_dim=4, memory='queue', queue_size=3)
    with pytest.raises(ValueError, match='queue_size=3.*global batch'):
        loss(torch.ones(4, 4), torch.ones(4, 4))
    with pytest.raises(ValueError, match=r'feat_dim'):
        loss(torch.ones(2, 5), torch.ones(2, 5))


DDP_SCRIPT = textwrap.dedent('''
    import gc
    import os
    import sys

    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel as DDP
    from mmpretrain.structures import DataSample

    from mmkd_plus.models.losses import SyncCRDLoss, WCoRDLoss

    OUT = sys.argv[1]
    # dataset indices per (step, rank): a different batch size per rank in
    # step 1, an index on both ranks in step 2
    INDICES = {
        (0, 0): [0, 1, 2, 3], (0, 1): [10, 11, 12, 13],
        (1, 0): [4, 5, 6], (1, 1): [14, 15, 16, 17, 18],
        (2, 0): [7, 8, 19], (2, 1): [19, 9, 0],
    }


    def samples(idx):
        out = []
        for k in idx:
            s = DataSample(metainfo=dict(sample_idx=int(k)))
            s.set_field(torch.tensor([k] + [(k + j) % 20 for j in (3, 6)]),
                        'contrast_idx')
            out.append(s)
        return out


    def build():
        wcord = dict(num_data=20, s_channels=6, t_channels=10, feat_dim=8,
                     num_negatives=2)
        return dict(
            crd_queue=SyncCRDLoss(num_data=20, feat_dim=8, memory='queue',
                                  queue_size=13),
            wcord_bank=WCoRDLoss(lipschitz='spectral_norm', **wcord),
            wcord_queue=WCoRDLoss(memory='queue', queue_size=13, **wcord),
            wcord_gp=WCoRDLoss(lipschitz='gradient_penalty', **wcord))


    def worker(rank):
        torch.set_num_threads(1)
        dist.init_process_group(
            'gloo', init_method='file://' + os.path.join(OUT, 'rdv'),
            rank=rank, world_size=2)
        torch.manual_seed(rank)  # different initial memories per rank
        losses = build()
        init = {k: {n: v.clone() for n, v in m.state_dict().items()}
                for k, m in losses.items()}
        # as MMEngine wraps a model: parameters synced at wrapping, buffers
        # left to the loss
        models = {k: (DDP(m, broadcast_buffers=False) if k != 'crd_queue'
                      else m) for k, m in losses.items()}
        optims = {k: torch.optim.SGD(m.parameters(), lr=0.1)
                  for k, m in models.items() if k != 'crd_queue'}
        for step in range(3):
            idx = INDICES[(step, rank)]
            g = torch.Generator().manual_seed(100 * step + rank)
            f_s = torch.randn(len(idx), 6, generator=g)
            f_t = torch.randn(len(idx), 10, generator=g)
            e_s = F.normalize(torch.randn(len(idx), 8, generator=g), dim=1)
            e_t = F.normalize(torch.randn(len(idx), 8, generator=g), dim=1)
            models['crd_queue'](e_s, e_t)
            for k, opt in optims.items():
                opt.zero_grad()
                models[k](f_s, f_t, samples(idx)).backward()
                opt.step()
            torch.save(
                dict(state={k: m.state_dict() for k, m in losses.items()},
                     init=init),
                os.path.join(OUT, f'rank{rank}_step{step}.pth'))
        # the DDP wrappers hold the group: they go before it does, as in
        # mmkd_plus.utils.finish_distributed
        del models, optims
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()


    if __name__ == '__main__':
        mp.spawn(worker, nprocs=2, join=True)
''')


@pytest.mark.slow
def test_queues_banks_and_critics_identical_on_two_gloo_ranks(tmp_path):
    run_script(DDP_SCRIPT, tmp_path)
    for step in range(3):
        r0 = torch.load(tmp_path / f'rank0_step{step}.pth')['state']
        r1 = torch.load(tmp_path / f'rank1_step{step}.pth')['state']
        for name, state in r0.items():
            for key, value in state.items():
                assert torch.equal(value, r1[name][key]), (step, name, key)
    first = torch.load(tmp_path / 'rank0_step0.pth')
    other = torch.load(tmp_path / 'rank1_step0.pth')
    # the ranks started from different memories and spectral-norm vectors
    assert not torch.equal(first['init']['crd_queue']['memory.queue_s'],
                           other['init']['crd_queue']['memory.queue_s'])
    key = 'module.embed_s.linear.parametrizations.weight.0._u'
    assert not torch.equal(first['init']['wcord_bank'][key[7:]],
                           other['init']['wcord_bank'][key[7:]])
    # the queue after step 0: rank 0's 4 rows then rank 1's 4, what one
    # process enqueues for the union of the batches
    ref = SyncCRDLoss(num_data=20, feat_dim=8, memory='queue', queue_size=13)
    ref.load_state_dict(first['init']['crd_queue'])
    rows = []
    for rank in (0, 1):
        g = torch.Generator().manual_seed(rank)
        torch.randn(4, 6, generator=g)
        torch.randn(4, 10, generator=g)
        rows.append((F.normalize(torch.randn(4, 8, generator=g), dim=1),
                     F.normalize(torch.randn(4, 8, generator=g), dim=1)))
    ref(torch.cat([r[0] for r in rows]), torch.cat([r[1] for r in rows]))
    for key, value in ref.state_dict().items():
        assert torch.allclose(
            first['state']['crd_queue'][key], value, atol=1e-6), key
    # after 3 steps (8 + 8 + 6 rows) the pointer wrapped: 22 % 13
    final = torch.load(tmp_path / 'rank0_step2.pth')['state']
    assert int(final['crd_queue']['memory.queue_ptr']) == 9
    assert int(final['wcord_queue']['memory.queue_ptr']) == 9
