# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
import pytest
import torch
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from mmrazor.registry import MODELS

from mmkd_plus.models.architectures.connectors import LinearEmbedConnector


def test_is_a_connector_with_default_128():
    connector = LinearEmbedConnector(in_channels=16)
    assert isinstance(connector, BaseConnector)
    assert connector.linear.in_features == 16
    assert connector.linear.out_features == 128
    assert connector.linear.bias is not None


def test_flatten_then_linear():
    connector = LinearEmbedConnector(6, 3).double()
    x = torch.randn(2, 6, 1, 1, dtype=torch.float64)
    out = connector(x)
    assert out.shape == (2, 3)
    w = connector.linear.weight.detach().numpy()
    b = connector.linear.bias.detach().numpy()
    x_np = x.numpy().reshape(2, 6)
    for n in range(2):
        for k in range(3):
            expected = sum(w[k, i] * x_np[n, i] for i in range(6)) + b[k]
            assert out[n, k].item() == pytest.approx(expected, rel=1e-12)
    # a (B, C) vector gives the same embedding
    assert torch.equal(connector(x.flatten(1)), out)


def test_no_normalisation():
    connector = LinearEmbedConnector(4, 8)
    with torch.no_grad():
        connector.linear.weight.fill_(1.)
        connector.linear.bias.zero_()
    out = connector(torch.ones(2, 4))
    np.testing.assert_allclose(out.detach().numpy(), np.full((2, 8), 4.))


def test_fp16_input_meets_fp32_weight():
    connector = LinearEmbedConnector(6, 4)
    x = torch.randn(2, 6).half()
    out = connector(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, connector(x.float()))


def test_gradients():
    connector = LinearEmbedConnector(6, 4)
    x = torch.randn(2, 6, requires_grad=True)
    connector(x).sum().backward()
    # d sum(x W^T + b) / dx = the column sums of W for every sample;
    # / dW = the batch sum of x for every output row; / db = the batch size
    weight = connector.linear.weight.detach()
    torch.testing.assert_close(x.grad, weight.sum(0).expand(2, 6))
    torch.testing.assert_close(connector.linear.weight.grad,
                               x.detach().sum(0).expand(4, 6))
    torch.testing.assert_close(connector.linear.bias.grad,
                               torch.full((4, ), 2.))


@pytest.mark.parametrize('shape', [(6, ), (2, 5), (2, 6, 2, 2)])
def test_bad_shapes(shape):
    with pytest.raises(ValueError, match=r'in_channels=6 elements'):
        LinearEmbedConnector(6, 4)(torch.randn(shape))


def test_build_from_config():
    connector = MODELS.build(
        dict(type='LinearEmbedConnector', in_channels=64, out_channels=32))
    assert isinstance(connector, LinearEmbedConnector)
    assert connector(torch.randn(2, 64)).shape == (2, 32)
