# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
import torch.nn as nn

from mmkd_plus.models.architectures.connectors import SSKDHead


def test_two_layer_mlp_by_hand():
    head = SSKDHead(in_channels=3)
    assert [type(m) for m in head.mlp] == [nn.Linear, nn.ReLU, nn.Linear]
    assert head.mlp[0].weight.shape == (3, 3)
    assert head.mlp[2].weight.shape == (3, 3)
    with torch.no_grad():
        head.mlp[0].weight.copy_(torch.eye(3))
        head.mlp[0].bias.copy_(torch.tensor([0., -1., 0.]))
        head.mlp[2].weight.copy_(2 * torch.eye(3))
        head.mlp[2].bias.zero_()
    x = torch.tensor([[1., 0.5, -2.]])
    # relu(x + b) = (1, 0, 0), times 2
    assert head(x).tolist() == [[2., 0., 0.]]
    # pooled maps and the neck's tuple are accepted
    assert head((x.view(1, 3, 1, 1), )).tolist() == [[2., 0., 0.]]


def test_classifier_width_and_errors():
    head = SSKDHead(in_channels=8, out_channels=24, hidden_channels=16)
    assert head(torch.randn(5, 8)).shape == (5, 24)
    with pytest.raises(ValueError, match='in_channels=8'):
        head(torch.randn(5, 6))
