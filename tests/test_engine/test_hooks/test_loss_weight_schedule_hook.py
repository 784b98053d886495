# Copyright (c) OpenMMLab. All rights reserved.
from types import SimpleNamespace

import pytest
import torch.nn as nn

from mmkd_plus.engine.hooks import LinearLossWeightHook


def _runner(epoch, max_epochs=5):
    loss = nn.Module()
    loss.loss_weight = 0.0
    distiller = SimpleNamespace(distill_losses=nn.ModuleDict(dict(
        loss_kd=loss)))
    model = nn.Module()
    model.distiller = distiller
    return SimpleNamespace(model=model, epoch=epoch, max_epochs=max_epochs)


@pytest.mark.parametrize('epoch,expected', [(0, 4.0), (1, 3.25), (2, 2.5),
                                            (4, 1.0)])
def test_linear_from_start_to_end(epoch, expected):
    runner = _runner(epoch)
    LinearLossWeightHook('loss_kd', 4.0, 1.0).before_train_epoch(runner)
    weight = runner.model.distiller.distill_losses['loss_kd'].loss_weight
    assert weight == pytest.approx(expected)


def test_unknown_loss_names_the_hook_and_the_losses():
    with pytest.raises(ValueError, match=r"loss_name='loss_hkd' is not a "
                       r"loss of model.distiller.distill_losses \(\['loss_kd"):
        LinearLossWeightHook('loss_hkd', 4.0, 1.0).before_train_epoch(
            _runner(0))


@pytest.mark.parametrize('epoch,expected', [(0, 4.0), (1, 4.0), (2, 4.0),
                                            (3, 2.5), (4, 1.0)])
def test_begin_holds_start_then_anneals_over_the_rest(epoch, expected):
    # FitNet: 2 hint epochs, then 4 -> 1 over epochs 2..4 (span 2)
    runner = _runner(epoch)
    LinearLossWeightHook('loss_kd', 4.0, 1.0,
                         begin=2).before_train_epoch(runner)
    weight = runner.model.distiller.distill_losses['loss_kd'].loss_weight
    assert weight == pytest.approx(expected)


def test_begin_past_the_last_epoch_names_the_keys():
    with pytest.raises(ValueError, match=r'begin=5 leaves no epoch to anneal '
                       r'in train_cfg.max_epochs=5'):
        LinearLossWeightHook('loss_kd', 4.0, 1.0,
                             begin=5).before_train(_runner(0))
