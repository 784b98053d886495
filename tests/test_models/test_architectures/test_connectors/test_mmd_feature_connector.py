# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch

from mmkd_plus.models.architectures.connectors import MMDFeatureConnector


def test_flattens_maps_as_is():
    x = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    out = MMDFeatureConnector()(x)
    assert out.shape == (2, 12)
    assert torch.equal(out[1], x[1].reshape(-1))


def test_global_pooling_options():
    x = torch.tensor([[[[1.0, 3.0], [5.0, 7.0]]]])
    assert MMDFeatureConnector(pool='avg')(x).tolist() == [[4.0]]
    assert MMDFeatureConnector(pool='max')(x).tolist() == [[7.0]]
    with pytest.raises(ValueError, match='needs a \\(B, C, H, W\\) map'):
        MMDFeatureConnector(pool='avg')(torch.randn(2, 5))
    with pytest.raises(ValueError, match="pool must be None, 'avg'"):
        MMDFeatureConnector(pool='mean')
