# Copyright (c) OpenMMLab. All rights reserved.
"""Flag buffers are uint8 (gloo on torch 1.13 cannot broadcast bool), and
checkpoints that stored them as bool still load."""
import pytest
import torch
import torch.distributed as dist

from mmkd_plus.models.losses import QuESTLoss
from mmkd_plus.models.losses.crd_memory import CRDMemory, CRDQueueMemory
from mmkd_plus.models.losses.flag_buffer import flag_buffer, upgrade_bool_flags


def _owners():
    return [(QuESTLoss(num_words=3, feat_channels=2), 'vocab_ready'),
            (CRDMemory(num_data=4, feat_dim=2), 'z_set'),
            (CRDQueueMemory(num_data=4, queue_size=2, feat_dim=2), 'z_set')]


def _raise_flag(module):
    if isinstance(module, QuESTLoss):
        module.set_vocabulary(torch.ones(3, 2))
    else:
        module.set_partition(torch.ones(2, 3), torch.ones(2, 3))


def test_flag_buffer_values():
    assert flag_buffer().dtype == torch.uint8
    assert flag_buffer().shape == ()
    assert [int(flag_buffer(v)) for v in (False, True)] == [0, 1]


@pytest.mark.parametrize('index', [0, 1, 2])
def test_flags_are_uint8_and_set_by_the_api(index):
    module, name = _owners()[index]
    flag = getattr(module, name)
    assert flag.dtype == torch.uint8 and int(flag) == 0
    _raise_flag(module)
    assert getattr(module, name) is flag  # set in place (DDP keeps it)
    assert flag.dtype == torch.uint8 and int(flag) == 1


@pytest.mark.parametrize('index', [0, 1, 2])
def test_old_checkpoint_with_bool_flag_loads(index):
    module, name = _owners()[index]
    _raise_flag(module)
    old = {k: v.clone() for k, v in module.state_dict().items()}
    old[name] = torch.tensor(True)  # as saved before the flags were uint8
    fresh, _ = _owners()[index]
    fresh.load_state_dict(old)
    assert getattr(fresh, name).dtype == torch.uint8
    assert int(getattr(fresh, name)) == 1
    for key, value in module.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_upgrade_bool_flags_casts_only_the_named_bool_entries():
    state = {
        'a.z_set': torch.tensor(True),
        'a.other': torch.tensor(False),
        'b.z_set': torch.tensor(False),
        'a.keep': torch.tensor(1, dtype=torch.uint8)
    }
    upgrade_bool_flags(state, 'a.', ('z_set', 'keep', 'missing'))
    assert state['a.z_set'].dtype == torch.uint8 and int(state['a.z_set'])
    assert state['a.other'].dtype == torch.bool  # not a named flag
    assert state['b.z_set'].dtype == torch.bool  # another prefix
    assert state['a.keep'].dtype == torch.uint8
    assert 'a.missing' not in state


def test_every_buffer_broadcasts_on_gloo(tmp_path):
    """What DDP does with buffers: on torch 1.13 a bool one raises here."""
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path}/store', rank=0,
        world_size=1)
    try:
        for module, name in _owners():
            _raise_flag(module)
            for buf in module.buffers():
                dist.broadcast(buf, src=0)
            assert int(getattr(module, name)) == 1
    finally:
        dist.destroy_process_group()
