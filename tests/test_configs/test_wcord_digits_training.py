# Copyright (c) OpenMMLab. All rights reserved.
"""The shipped WCoRD digits config, as shipped (its critic under the
gradient penalty), trained for three short epochs: the student learns, the
GCKT term and the penalty fall, and the critic's input-gradient norm on
held-out images is held near 1 where it started near 3.

One run serves both tests (25-40 s on one core, with the load). The
fixture teacher is at chance (2 epochs on 128 images), so what the student
learns here is the CE's doing; the run checks that the WCoRD terms train
beside it, not that they help.
"""
import os.path as osp

import pytest
import torch
from kd_test_utils import REPO, load_short_cfg
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

WCORD_DIGITS = osp.join(REPO, 'configs', 'wcord',
                        'wcord_neck_resnet20_resnet8_1xb64_digits.py')
EPOCHS, ITERS = 3, 23  # 1,438 images, batch 64, drop_last off


def critic_grad_norms(model, batches) -> dict:
    """``||grad_(t, s) g(t, s)||`` of the WCoRD critic on real features.

    The pooled student and teacher features of ``batches`` (both networks
    in eval mode), scored at the joint pairs ``(t_i, s_i)`` and at pairs of
    the product of the marginals ``(t_i, s_(i-1))``; the gradient over both
    inputs, one norm per pair.
    """
    loss = model.distiller.distill_losses['loss_wcord']
    model.eval()
    feats_s, feats_t = [], []
    with torch.no_grad():
        for batch in batches:
            inputs = model.data_preprocessor(batch, False)['inputs']
            feats_s.append(model.student.extract_feat(inputs, 'neck')[-1])
            feats_t.append(model.teacher.extract_feat(inputs, 'neck')[-1])
    model.train()
    f_s, f_t = torch.cat(feats_s), torch.cat(feats_t)
    norms = {}
    for pairs, s_side in (('joint', f_s), ('marginals', f_s.roll(1, 0))):
        t = f_t.clone().requires_grad_()
        s = s_side.clone().requires_grad_()
        grad_t, grad_s = torch.autograd.grad(loss.critic(t, s).sum(), (t, s))
        norms[pairs] = torch.cat([grad_t, grad_s], 1).norm(dim=1)
    return norms


@HOOKS.register_module(force=True)
class _WCoRDProbe(Hook):
    """Record the student's CE and the WCoRD terms of every iteration, and
    the critic's gradient norms on the test images before and after
    training."""

    record: dict = {}

    def before_train(self, runner):
        self.batches = list(runner.test_dataloader)
        self.record['before'] = critic_grad_norms(runner.model, self.batches)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        hub = runner.message_hub
        values = {
            term: float(hub.get_scalar(f'train/wcord_{term}').current())
            for term in ('gckt', 'lckt', 'gp')
        }
        values['ce'] = float(outputs['student.loss'].detach())
        self.record['log'].append(values)

    def after_train(self, runner):
        self.record['after'] = critic_grad_norms(runner.model, self.batches)


@pytest.fixture(scope='module')
def shipped_run(digits_root, digits_teacher_ckpt, tmp_path_factory):
    """Three epochs of the shipped config on the 1,438 training digits (128
    negatives instead of 1024, for time); the probe's record, the test
    top-1 and the critic's constraint."""
    _WCoRDProbe.record = dict(log=[])
    cfg = load_short_cfg(
        WCORD_DIGITS,
        digits_root,
        str(tmp_path_factory.mktemp('wcord')),
        max_epochs=EPOCHS,
        num_train=1438,
        batch_size=64,
        extra={
            'model.teacher_ckpt': digits_teacher_ckpt,
            'model.distiller.distill_losses.loss_wcord.num_negatives': 128,
            'train_dataloader.dataset.num_negatives': 128,
            'custom_hooks': [dict(type='_WCoRDProbe')],
        })
    runner = Runner.from_cfg(cfg)
    runner.train()
    record = dict(_WCoRDProbe.record)
    record['top1'] = runner.test()['accuracy/top1']
    loss = runner.model.distiller.distill_losses['loss_wcord']
    record['lipschitz'] = loss.lipschitz
    return record


def _mean(log, key, part):
    values = [v[key] for v in part(log)]
    return sum(values) / len(values)


@pytest.mark.slow
def test_wcord_student_trains_on_the_digits(shipped_run):
    """Over 69 steps (first 8 against last 8): the student's CE falls by
    more than 10 % (measured 2.31 -> 1.93-1.99 over seeds 0-3), GCKT by
    more than 3 % (10.5-10.8 -> 9.8-10.0), the gradient penalty by more
    than 90 % (4.4-6.8 -> 0.06-0.17); LCKT is computed at every step, a
    weighted mean cosine cost in (0, 0.2] (with this teacher it stays at
    0.09-0.10: its fall is checked in the loss's own tests). The student
    ends at twice chance or better: measured 29-35 % top-1 over seeds 0-3
    (25-36 % for the same runs at gckt_weight = lckt_weight = 0: the
    teacher is at chance, so the terms cannot be expected to help)."""
    assert shipped_run['lipschitz'] == 'gradient_penalty'
    log = shipped_run['log']
    assert len(log) == EPOCHS * ITERS

    def first(values):
        return values[:8]

    def last(values):
        return values[-8:]

    for key, ratio in (('ce', 0.9), ('gckt', 0.97), ('gp', 0.1)):
        before, after = _mean(log, key, first), _mean(log, key, last)
        assert after < ratio * before, (key, before, after)
    assert all(0 < v['lckt'] <= 0.2 for v in log)
    assert shipped_run['top1'] > 20.0  # chance is 10 %


@pytest.mark.slow
def test_gradient_penalty_holds_the_critic_gradient_near_1(shipped_run):
    """What the shipped constraint promises, measured on the 359 test
    digits at joint and at product-of-marginals pairs: before training the
    critic's input-gradient norm has a median above 1.5 (measured 2.2-3.4
    over seeds 0-3); after 69 steps under the penalty its median is within
    [0.85, 1.15] (measured 0.97-1.04), 80 % of the pairs within [0.7, 1.3]
    (measured [0.80, 1.15]) and every pair within [0.3, 1.6] (measured
    [0.49, 1.26]). A soft constraint, two-sided, at the data: no bound
    elsewhere. The same runs with spectral_norm (or 'none') end at medians
    of 0.21-0.25 (0.28-0.31): their norms follow the training and fail
    this test."""
    assert shipped_run['lipschitz'] == 'gradient_penalty'
    for pairs in ('joint', 'marginals'):
        before = shipped_run['before'][pairs]
        after = shipped_run['after'][pairs]
        assert before.numel() == after.numel() == 359
        assert before.median().item() > 1.5, pairs
        deciles = torch.quantile(after, torch.tensor([0.1, 0.5, 0.9]))
        low, median, high = deciles.tolist()
        assert 0.85 <= median <= 1.15, (pairs, deciles)
        assert 0.7 <= low and high <= 1.3, (pairs, deciles)
        assert 0.3 <= after.min().item() and after.max().item() <= 1.6, (
            pairs, after.min(), after.max())
