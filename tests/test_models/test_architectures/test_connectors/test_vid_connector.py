# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from mmrazor.registry import MODELS

from mmkd_plus.models.architectures.connectors import VIDRegressorConnector


def _convs(connector):
    return [m for m in connector.regressor if isinstance(m, nn.Conv2d)]


def test_structure_as_reference():
    connector = VIDRegressorConnector(in_channels=4, out_channels=6)
    assert isinstance(connector, BaseConnector)
    layers = list(connector.regressor)
    kinds = [type(m) for m in layers]
    assert kinds == [nn.Conv2d, nn.ReLU, nn.Conv2d, nn.ReLU, nn.Conv2d]
    convs = _convs(connector)
    # mid channels default to the teacher's, as RepDistiller's VIDLoss(s,t,t)
    channels = [(c.in_channels, c.out_channels) for c in convs]
    assert channels == [(4, 6), (6, 6), (6, 6)]
    assert all(c.kernel_size == (1, 1) and c.bias is None for c in convs)
    mid = _convs(VIDRegressorConnector(4, 6, mid_channels=5))
    channels = [(c.in_channels, c.out_channels) for c in mid]
    assert channels == [(4, 5), (5, 5), (5, 6)]


def test_forward_by_hand():
    connector = VIDRegressorConnector(2, 3, mid_channels=4).double()
    x = torch.randn(2, 2, 3, 3, dtype=torch.float64)
    out = connector(x)
    assert out.shape == (2, 3, 3, 3)
    w = [c.weight.detach().numpy()[:, :, 0, 0] for c in _convs(connector)]
    x_np = x.numpy()
    for n in range(2):
        for i in range(3):
            for j in range(3):
                h = np.maximum(w[0] @ x_np[n, :, i, j], 0)
                h = np.maximum(w[1] @ h, 0)
                np.testing.assert_allclose(
                    out[n, :, i, j].detach().numpy(), w[2] @ h, rtol=1e-12)


def test_pool_size():
    torch.manual_seed(0)
    connector = VIDRegressorConnector(2, 3, pool_size=(2, 2))
    x = torch.randn(1, 2, 4, 4)
    pooled = x.reshape(1, 2, 2, 2, 2, 2).mean(dim=(3, 5))
    torch.testing.assert_close(connector(x), connector.regressor(pooled))
    # a map no larger than pool_size is left alone
    small = torch.randn(1, 2, 2, 2)
    torch.testing.assert_close(connector(small), connector.regressor(small))
    assert VIDRegressorConnector(2, 3, pool_size=8).pool_size == (8, 8)


def test_fp16_input_meets_fp32_weights():
    connector = VIDRegressorConnector(2, 3)
    x = torch.randn(2, 2, 4, 4).half()
    out = connector(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, connector(x.float()))


@pytest.mark.parametrize('shape', [(2, 2, 4), (2, 3, 4, 4)])
def test_bad_shapes(shape):
    with pytest.raises(ValueError, match=r'shape \(B, 2, H, W\)'):
        VIDRegressorConnector(2, 3)(torch.randn(shape))


def test_build_from_config():
    connector = MODELS.build(
        dict(
            type='VIDRegressorConnector',
            in_channels=8,
            out_channels=16,
            pool_size=2))
    assert isinstance(connector, VIDRegressorConnector)
    assert connector(torch.randn(2, 8, 4, 4)).shape == (2, 16, 2, 2)
