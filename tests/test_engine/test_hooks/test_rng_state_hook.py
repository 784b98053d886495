# Copyright (c) OpenMMLab. All rights reserved.
"""A run resumed from an epoch's checkpoint repeats the uninterrupted run
bit for bit on CPU: the same losses at every iteration and the same final
weights, for every method family (each draws from other generators: crops,
CRD/WCoRD's negatives and gradient-penalty draws, QuEST's k-means, SSKD's
views, MFD's balanced sampler and dropout)."""
import os.path as osp
import random

import numpy as np
import pytest
import torch
from kd_test_utils import KD_DIGITS, REPO, load_short_cfg
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from mmkd_plus.engine.hooks.rng_state_hook import CHECKPOINT_KEY, RNGStateHook

CONFIGS = dict(
    kd=(KD_DIGITS, {}),
    wcord=(osp.join(REPO, 'configs', 'wcord',
                    'wcord_neck_resnet20_resnet8_1xb64_digits.py'),
           {'model.distiller.distill_losses.loss_wcord.num_negatives': 32,
            'train_dataloader.dataset.num_negatives': 32}),
    quest=(osp.join(REPO, 'configs', 'quest',
                    'quest_layer3_resnet20_resnet8_1xb64_digits.py'),
           {'custom_hooks': [dict(type='QuESTVocabularyHook',
                                  _scope_='mmrazor', loss_name='loss_quest',
                                  niter=2, batch_size=32)]}),
    sskd=(osp.join(REPO, 'configs', 'sskd',
                   'sskd_resnet20_resnet8_1xb64_digits.py'),
          {'model.teacher_ss_ckpt': None}),
    mfd=(osp.join(REPO, 'configs', 'mfd',
                  'mfd_cifarnet_half_1xb128_digits_s.py'), {}),
)


@HOOKS.register_module(force=True)
class _IterLosses(Hook):
    """Every iteration's losses, by (epoch, iteration)."""

    record: dict = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        _IterLosses.record[runner.iter] = {
            k: float(v.detach()) for k, v in outputs.items()
            if torch.is_tensor(v)
        }


def _cfg(config, options, digits_root, work):
    num_train = 240 if 'digits_s' in config else 96
    cfg = load_short_cfg(
        config, digits_root, work, max_epochs=2, num_train=num_train,
        batch_size=32,
        extra=dict(options, **{
            'model.teacher_ckpt': None,
            'train_cfg.val_interval': 1,  # validation between the epochs
        }))
    cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                        dict(type='_IterLosses')]
    if 'Plateau' in cfg.param_scheduler.type:  # MFD: no cosine length
        cfg.param_scheduler.pop('T_max')
    return cfg


def _run(cfg, resume_from=None):
    _IterLosses.record = {}
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = resume_from
    runner = Runner.from_cfg(cfg)
    runner.train()
    state = {k: v.clone() for k, v in runner.model.state_dict().items()}
    return dict(_IterLosses.record), state


@pytest.mark.slow
@pytest.mark.parametrize('family', sorted(CONFIGS))
def test_resume_repeats_the_uninterrupted_run(family, digits_root,
                                              tmp_path):
    config, options = CONFIGS[family]
    straight = _cfg(config, options, digits_root, str(tmp_path / 'a'))
    losses, state = _run(straight)
    ckpt = osp.join(str(tmp_path / 'a'), 'epoch_1.pth')
    assert CHECKPOINT_KEY in torch.load(ckpt, weights_only=False)
    resumed = _cfg(config, options, digits_root, str(tmp_path / 'b'))
    # the resumed process has drawn other numbers before it resumes
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    resumed_losses, resumed_state = _run(resumed, resume_from=ckpt)
    second = {i: v for i, v in losses.items() if i in resumed_losses}
    assert second and min(second) > 0  # the second epoch's iterations
    assert resumed_losses == second
    assert set(resumed_state) == set(state)
    for key, value in state.items():
        assert torch.equal(resumed_state[key], value), key


def test_states_round_trip_and_skip_load_from():
    """The states restore Python's, NumPy's and torch's generators; a
    ``load_from`` (not a resume) leaves them alone."""
    hook = RNGStateHook()
    torch.manual_seed(1)
    np.random.seed(1)
    random.seed(1)
    hook.after_train_epoch(runner=None)
    want = (torch.rand(3), np.random.rand(3), random.random())
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    torch.manual_seed(2)
    np.random.seed(2)
    random.seed(2)

    class _Runner:
        _resume = False

    fresh = RNGStateHook()
    fresh.after_load_checkpoint(_Runner(), checkpoint)
    fresh.before_train_epoch(None)  # load_from: nothing restored
    got = (torch.rand(3), np.random.rand(3), random.random())
    assert not torch.equal(got[0], want[0])
    _Runner._resume = True
    fresh.after_load_checkpoint(_Runner(), checkpoint)
    fresh.before_train_epoch(None)
    got = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(got[0], want[0])
    assert np.array_equal(got[1], want[1]) and got[2] == want[2]
