# Copyright (c) OpenMMLab. All rights reserved.
"""SyncCRDLoss: hand-computed NCE, loss weight, memory update, state dict,
errors, and the memory kept identical on two gloo DDP ranks."""
import math
import os.path as osp
import textwrap

import pytest
import torch
import torch.nn.functional as F
from kd_test_utils import run_script
from mmpretrain.structures import DataSample

# the dataset wrapper and the transform the configs use (registered on
# import)
import mmkd_plus.datasets.crd_dataset  # noqa: F401
import mmkd_plus.datasets.transforms.formatting  # noqa: F401
from mmkd_plus.models.losses.crd_memory import CRDMemory, last_occurrences
from mmkd_plus.models.losses.sync_crd_loss import SyncCRDLoss
from mmkd_plus.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

# a tiny bank: 4 samples, 2-d embeddings
MEMORY_T = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
MEMORY_S = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, 0.0]])
Z = 4 * math.e


def _samples(idx, contrast=None):
    out = []
    for i, k in enumerate(idx):
        s = DataSample(metainfo=dict(sample_idx=k))
        if contrast is not None:
            s.set_field(torch.tensor(contrast[i]), 'contrast_idx')
        out.append(s)
    return out


def _tiny_loss(loss_weight=1.0, z_set=True, **kwargs):
    loss = SyncCRDLoss(
        num_data=4,
        feat_dim=2,
        num_negatives=2,
        temperature=1.0,
        momentum=0.5,
        loss_weight=loss_weight,
        eps=0.0,
        **kwargs)
    loss.memory.memory_s.copy_(MEMORY_S)
    loss.memory.memory_t.copy_(MEMORY_T)
    if z_set:
        loss.memory.z_s.fill_(Z)
        loss.memory.z_t.fill_(Z)
        loss.memory.z_set.fill_(True)
    return loss


def _hand_nce():
    # student s = [1, 0] against memory_t rows 0, 1, 2: dots 1, 0, -1;
    # teacher t = [0, 1] against memory_s rows 0, 1, 2: dots 1, 0, -1.
    # h = exp(dot) / (4 e): 1/4, 1/(4e), 1/(4e^2); N / M = 2 / 4
    noise = 0.5
    h = [0.25, 1 / (4 * math.e), 1 / (4 * math.e**2)]
    one = -(
        math.log(h[0] / (h[0] + noise)) + math.log(noise / (h[1] + noise)) +
        math.log(noise / (h[2] + noise)))
    return 2 * one  # both directions give the same value


S = torch.tensor([[1.0, 0.0]])
T = torch.tensor([[0.0, 1.0]])


def test_registered_in_mmrazor_models():
    loss = MODELS.build(dict(type='SyncCRDLoss', num_data=10))
    assert isinstance(loss, SyncCRDLoss)
    assert loss.loss_weight == 0.8 and loss.num_negatives == 16384
    assert loss.memory.memory_s.shape == (10, 128)


def test_nce_value_by_hand_with_fixed_negatives():
    loss = _tiny_loss()
    out = loss(S, T, _samples([0], [[0, 1, 2]]))
    assert out.item() == pytest.approx(_hand_nce(), rel=1e-6)


def test_z_estimated_on_the_first_batch_then_kept():
    loss = _tiny_loss(z_set=False)
    assert not bool(loss.memory.z_set)
    loss.eval()  # no memory update: the second call sees the same bank
    first = loss(S, T, _samples([0], [[0, 1, 2]]))
    # mean(e, 1, 1/e) * 4 on each side
    z = (math.e + 1 + 1 / math.e) / 3 * 4
    assert bool(loss.memory.z_set)
    assert loss.memory.z_s.item() == pytest.approx(z)
    assert loss.memory.z_t.item() == pytest.approx(z)
    # another batch does not re-estimate Z
    loss(S * -1, T, _samples([1], [[1, 2, 3]]))
    assert loss.memory.z_s.item() == pytest.approx(z)
    again = loss(S, T, _samples([0], [[0, 1, 2]]))
    assert again.item() == pytest.approx(first.item())


def test_loss_weight_scales_and_zero_gives_zero():
    samples = _samples([0], [[0, 1, 2]])
    zero = _tiny_loss(loss_weight=0.0)(S, T, samples)
    assert zero.item() == 0.0
    half = _tiny_loss(loss_weight=0.5)(S, T, samples)
    assert half.item() == pytest.approx(0.5 * _hand_nce(), rel=1e-6)


def test_memory_momentum_update_by_hand_stays_normalised():
    loss = _tiny_loss()
    loss.train()
    loss(S, T, _samples([0], [[0, 1, 2]]))
    r = 1 / math.sqrt(2)
    # memory_s[0] = norm(0.5 [0, 1] + 0.5 s), memory_t[0] = norm(0.5 [1, 0]
    # + 0.5 t); the other rows are untouched
    assert torch.allclose(loss.memory.memory_s[0], torch.tensor([r, r]))
    assert torch.allclose(loss.memory.memory_t[0], torch.tensor([r, r]))
    assert torch.equal(loss.memory.memory_s[1:], MEMORY_S[1:])
    assert torch.equal(loss.memory.memory_t[1:], MEMORY_T[1:])
    # a random batch: every updated row has norm 1
    big = SyncCRDLoss(num_data=50, feat_dim=8, num_negatives=5)
    s = F.normalize(torch.randn(6, 8), dim=1)
    t = F.normalize(torch.randn(6, 8), dim=1)
    idx = [3, 7, 11, 20, 30, 49]
    before = big.memory.memory_s.clone()
    big(s, t, _samples(idx))
    norms = big.memory.memory_s[idx].norm(dim=1)
    assert torch.allclose(norms, torch.ones(6), atol=1e-6)
    expected = F.normalize(0.5 * before[idx] + 0.5 * s, dim=1)
    assert torch.allclose(big.memory.memory_s[idx], expected, atol=1e-6)


def test_eval_mode_does_not_update_the_memory():
    loss = _tiny_loss()
    loss.eval()
    loss(S, T, _samples([0], [[0, 1, 2]]))
    assert torch.equal(loss.memory.memory_s, MEMORY_S)
    assert torch.equal(loss.memory.memory_t, MEMORY_T)


def test_gradients_reach_both_embeddings_not_the_memory():
    loss = _tiny_loss()
    s = S.clone().requires_grad_()
    t = T.clone().requires_grad_()
    loss(s, t, _samples([0], [[0, 1, 2]])).backward()
    assert s.grad.abs().sum() > 0 and t.grad.abs().sum() > 0
    assert not loss.memory.memory_s.requires_grad


def test_state_dict_round_trip_restores_memory_and_z():
    torch.manual_seed(0)
    loss = SyncCRDLoss(num_data=30, feat_dim=8, num_negatives=4)
    s = F.normalize(torch.randn(5, 8), dim=1)
    t = F.normalize(torch.randn(5, 8), dim=1)
    contrast = [[i] + [(i + k) % 30 for k in (5, 10, 15, 20)]
                for i in range(5)]
    loss(s, t, _samples(list(range(5)), contrast))
    state = loss.state_dict()
    assert set(state) == {
        'memory.memory_s', 'memory.memory_t', 'memory.z_s', 'memory.z_t',
        'memory.z_set'
    }
    torch.manual_seed(1)
    other = SyncCRDLoss(num_data=30, feat_dim=8, num_negatives=4)
    assert not torch.equal(other.memory.memory_s, loss.memory.memory_s)
    other.load_state_dict(state)
    for key, value in state.items():
        assert torch.equal(other.state_dict()[key], value), key
    assert bool(other.memory.z_set)
    # both continue identically: same loss, same memory after the step
    a = loss(t, s, _samples(list(range(5)), contrast))
    b = other(t, s, _samples(list(range(5)), contrast))
    assert a.item() == b.item()
    assert torch.equal(loss.memory.memory_t, other.memory.memory_t)


def test_mmrazor_contrast_key_and_uniform_fallback():
    loss = _tiny_loss()
    samples = [DataSample(metainfo=dict(sample_idx=0))]
    samples[0].set_field(torch.tensor([0, 1, 2]), 'contrast_sample_idxs')
    out = loss(S, T, samples)
    assert out.item() == pytest.approx(_hand_nce(), rel=1e-6)
    # no contrast indices: N uniform negatives, the positive first
    big = SyncCRDLoss(num_data=40, feat_dim=8, num_negatives=6)
    idx = torch.tensor([3, 9])
    contrast = big._uniform_contrast(idx)
    assert contrast.shape == (2, 7)
    assert torch.equal(contrast[:, 0], idx)
    assert contrast.min() >= 0 and contrast.max() < 40
    s = F.normalize(torch.randn(2, 8), dim=1)
    assert torch.isfinite(big(s, s, _samples([3, 9])))


def test_clear_errors():
    loss = _tiny_loss()
    # a bare batch, as mmpretrain's PackInputs without the dataset index
    bare = [DataSample().set_gt_label(1)]
    with pytest.raises(ValueError, match='sample_idx.*PackCRDInputs'):
        loss(S, T, bare)
    with pytest.raises(ValueError, match='data_samples'):
        loss(S, T, None)
    with pytest.raises(ValueError, match='out of range'):
        loss(S, T, _samples([4]))
    with pytest.raises(ValueError, match='num_negatives'):
        loss(S, T, _samples([0], [[0, 1, 2, 3]]))
    with pytest.raises(ValueError, match='out of range'):
        loss(S, T, _samples([0], [[0, 1, 9]]))
    with pytest.raises(ValueError, match='others not'):
        mixed = _samples([0, 1], [[0, 1, 2], [1, 2, 3]])
        del mixed[1].contrast_idx
        loss(S.repeat(2, 1), T.repeat(2, 1), mixed)
    with pytest.raises(ValueError, match='CRDConnector'):
        loss(torch.ones(1, 3), torch.ones(1, 3), _samples([0]))


def test_last_occurrences_and_single_process_gather():
    idx = torch.tensor([5, 2, 5, 7, 2])
    keep = last_occurrences(idx)
    # values 2, 5, 7: last at positions 4, 2, 3
    assert keep.tolist() == [4, 2, 3]
    memory = CRDMemory(num_data=10, feat_dim=2, momentum=0.0)
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    memory.update(feats, feats, torch.tensor([4, 6, 4]))
    # momentum 0: the row is the last embedding given for index 4
    assert torch.equal(memory.memory_s[4], torch.tensor([0.0, -1.0]))


DDP_SCRIPT = textwrap.dedent('''
    import os
    import sys

    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn.functional as F
    from mmpretrain.structures import DataSample

    from mmkd_plus.models.losses.sync_crd_loss import SyncCRDLoss

    OUT = sys.argv[1]


    def samples(idx, contrast):
        out = []
        for k, c in zip(idx, contrast):
            s = DataSample(metainfo=dict(sample_idx=int(k)))
            s.set_field(torch.as_tensor(c), 'contrast_idx')
            out.append(s)
        return out


    def batch(step, rank, size):
        g = torch.Generator().manual_seed(100 * step + rank)
        s = F.normalize(torch.randn(size, 8, generator=g), dim=1)
        t = F.normalize(torch.randn(size, 8, generator=g), dim=1)
        return s, t


    # dataset indices per (step, rank): distinct in step 0, a different
    # batch size per rank in step 1, an index on both ranks in step 2
    INDICES = {
        (0, 0): [0, 1, 2, 3], (0, 1): [10, 11, 12, 13],
        (1, 0): [4, 5, 6], (1, 1): [14, 15, 16, 17, 18],
        (2, 0): [7, 8, 19], (2, 1): [19, 9, 0],
    }


    def worker(rank):
        torch.set_num_threads(1)
        dist.init_process_group(
            'gloo', init_method='file://' + os.path.join(OUT, 'rdv'),
            rank=rank, world_size=2)
        torch.manual_seed(rank)  # different initial banks per rank
        loss = SyncCRDLoss(num_data=20, feat_dim=8, num_negatives=5)
        init = {k: v.clone() for k, v in loss.state_dict().items()}
        values = []
        for step in range(3):
            idx = INDICES[(step, rank)]
            s, t = batch(step, rank, len(idx))
            contrast = [[k] + [(k + j) % 20 for j in (3, 6, 9, 12, 15)]
                        for k in idx]
            values.append(loss(s, t, samples(idx, contrast)).item())
            torch.save(
                dict(state=loss.state_dict(), init=init, values=values),
                os.path.join(OUT, f'rank{rank}_step{step}.pth'))
        dist.destroy_process_group()


    if __name__ == '__main__':
        mp.spawn(worker, nprocs=2, join=True)
''')


def _reference_after_step0(init0):
    """One process, the batch of both ranks, rank 0's initial banks."""
    loss = SyncCRDLoss(num_data=20, feat_dim=8, num_negatives=5)
    loss.load_state_dict(init0)
    idx = [0, 1, 2, 3, 10, 11, 12, 13]
    feats = []
    for rank in (0, 1):
        g = torch.Generator().manual_seed(rank)
        s = F.normalize(torch.randn(4, 8, generator=g), dim=1)
        t = F.normalize(torch.randn(4, 8, generator=g), dim=1)
        feats.append((s, t))
    s = torch.cat([feats[0][0], feats[1][0]])
    t = torch.cat([feats[0][1], feats[1][1]])
    contrast = [[k] + [(k + j) % 20 for j in (3, 6, 9, 12, 15)] for k in idx]
    loss(s, t, _samples(idx, contrast))
    return loss.state_dict()


@pytest.mark.slow
def test_memory_identical_on_two_gloo_ranks(tmp_path):
    run_script(DDP_SCRIPT, tmp_path)
    for step in range(3):
        r0 = torch.load(tmp_path / f'rank0_step{step}.pth')
        r1 = torch.load(tmp_path / f'rank1_step{step}.pth')
        for key, value in r0['state'].items():
            assert torch.equal(value, r1['state'][key]), (step, key)
    # the ranks started from different banks; rank 0's were broadcast
    r0 = torch.load(tmp_path / 'rank0_step0.pth')
    r1 = torch.load(tmp_path / 'rank1_step0.pth')
    assert not torch.equal(r0['init']['memory.memory_s'],
                           r1['init']['memory.memory_s'])
    # after step 0: what one process computes on the union of the batches
    # (Z from all 8 anchors, 8 rows updated)
    ref = _reference_after_step0(r0['init'])
    for key, value in ref.items():
        assert torch.allclose(r0['state'][key], value, atol=1e-6), key
    final = torch.load(tmp_path / 'rank0_step2.pth')['state']
    norms = final['memory.memory_s'][[19, 0, 9]].norm(dim=1)
    assert torch.allclose(norms, torch.ones(3), atol=1e-6)


CRD_CONFIGS = sorted(
    osp.join(REPO, 'configs', 'baselines', 'crd', name)
    for name in ('crd_neck_resnet32x4_resnet8x4_1xb64_cifar100.py',
                 'crd_neck_wrn_40_2_wrn_16_2_1xb64_cifar100.py',
                 'crd_neck_resnet20_resnet8_1xb64_digits.py'))


@pytest.mark.parametrize('path', CRD_CONFIGS, ids=osp.basename)
def test_crd_config_loss_forward(path, digits_root, monkeypatch):
    """Each CRD config: a wrapped train batch reaches SyncCRDLoss with its
    contrast indices (no fallback) and trains the student and both
    connectors, not the teacher."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmpretrain.registry import DATASETS
    from mmrazor.registry import MODELS as RAZOR_MODELS

    cfg = Config.fromfile(path)
    loader = cfg.train_dataloader
    assert loader.dataset.type == 'CRDDatasetWrapper'
    loss_cfg = cfg.model.distiller.distill_losses.loss_crd
    assert loss_cfg.type == 'SyncCRDLoss' and loss_cfg.loss_weight == 0.8
    assert loader.dataset.num_negatives == loss_cfg.num_negatives
    assert loader.dataset.dataset.pipeline[-1].type == 'PackCRDInputs'
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = None
    torch.manual_seed(0)
    model = RAZOR_MODELS.build(model_cfg)
    model.train()
    crd = model.distiller.distill_losses.loss_crd

    def no_fallback(*args):
        raise AssertionError('the contrast indices did not reach the loss')

    monkeypatch.setattr(crd, '_uniform_contrast', no_fallback)
    # a real wrapped batch of the digits (the digits config) or samples
    # with the config's widths (CIFAR-100, not available offline)
    dataset_cfg = loader.dataset.copy()
    dataset_cfg.dataset.data_root = digits_root
    dataset_cfg.dataset.type = 'DigitsCIFAR'
    dataset_cfg.dataset.pipeline = [dict(type='PackCRDInputs')]
    dataset_cfg.num_negatives = min(loss_cfg.num_negatives, 1024)
    dataset = DATASETS.build(dataset_cfg)
    batch = pseudo_collate([dataset[i] for i in (0, 700, 1400)])
    inputs = torch.stack(batch['inputs']).float()
    samples = batch['data_samples']
    if loss_cfg.num_negatives != dataset_cfg.num_negatives:
        for s in samples:
            s.contrast_idx = torch.randint(0, loss_cfg.num_data,
                                           (loss_cfg.num_negatives + 1, ))
    losses = model(inputs, samples, mode='loss')
    assert torch.isfinite(losses['distill.loss_crd'])
    assert bool(crd.memory.z_set)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name in ('crd_s', 'crd_t'):
        grads = [p.grad for p in model.distiller.connectors[name].parameters()]
        assert all(g is not None and g.abs().sum() > 0 for g in grads)
    conv = next(m for m in model.student.modules()
                if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.grad.abs().sum() > 0
    for name, param in model.teacher.named_parameters():
        assert param.grad is None or param.grad.abs().sum() == 0, name
    # a bare batch without sample_idx: a clear error
    bare = [DataSample().set_gt_label(1) for _ in range(2)]
    with pytest.raises(ValueError, match='sample_idx'):
        model(torch.randn(2, 3, 32, 32), bare, mode='loss')


def test_negatives_of_the_data_and_the_loss_must_agree():
    """A batch whose contrast indices are of another width than the
    loss's 1 + num_negatives stops with both numbers and both keys."""
    loss = _tiny_loss()
    with pytest.raises(ValueError) as err:
        loss(S, T, _samples([0], [[0, 1, 2, 3]]))
    msg = str(err.value)
    assert 'hold 1 + 3 negatives' in msg
    assert 'train_dataloader.dataset.num_negatives=3' in msg
    # built alone, the loss does not know its key in a distiller
    assert 'model.distiller.distill_losses.<name>.num_negatives=2' in msg


@pytest.mark.parametrize(
    'path,name',
    [('baselines/crd/crd_neck_resnet20_resnet8_1xb64_digits.py', 'loss_crd'),
     ('wcord/wcord_neck_resnet20_resnet8_1xb64_digits.py', 'loss_wcord')],
    ids=['crd', 'wcord'])
def test_config_loss_names_its_key_when_the_negatives_differ(path, name):
    """Built from a leaf, the loss names its own key: a dataset overridden
    to 5 negatives (e.g. --cfg-options train_dataloader.dataset.
    num_negatives=5 without the loss's) stops the first training step."""
    from mmengine.config import Config
    from mmrazor.registry import MODELS as RAZOR_MODELS

    cfg = Config.fromfile(osp.join(REPO, 'configs', path))
    loss_cfg = cfg.model.distiller.distill_losses[name]
    # one number in the config: the loss reads the dataset's
    assert loss_cfg.num_negatives == \
        cfg.train_dataloader.dataset.num_negatives == 1024
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = None
    model = RAZOR_MODELS.build(model_cfg)
    key = f'model.distiller.distill_losses.{name}'
    assert model.distiller.distill_losses[name].config_key == key
    model.train()
    samples = _samples([0, 1], [[0] + list(range(2, 7)), [1] + [7] * 5])
    for s in samples:
        s.set_gt_label(0)
    with pytest.raises(ValueError) as err:
        model(torch.randn(2, 3, 32, 32), samples, mode='loss')
    msg = str(err.value)
    assert f'{key}.num_negatives=1024' in msg
    assert 'train_dataloader.dataset.num_negatives=5' in msg
    assert f'--cfg-options train_dataloader.dataset.num_negatives=N ' \
        f'{key}.num_negatives=N' in msg
