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
