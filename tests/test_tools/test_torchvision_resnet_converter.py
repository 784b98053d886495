# Copyright (c) OpenMMLab. All rights reserved.
"""A torchvision ResNet converted by the tool gives the same logits in the
mmpretrain classifier the ImageNet configs build."""
import pytest
import torch
import torchvision
from kd_test_utils import load_tool
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS


@pytest.mark.parametrize('depth', [18, 34])
def test_converted_logits_equal_torchvision(depth, tmp_path):
    torch.manual_seed(depth)
    ref = getattr(torchvision.models, f'resnet{depth}')(weights=None).eval()
    # non-trivial BN statistics, so that a mismatched BN would show
    for m in ref.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    src = tmp_path / 'tv.pth'
    torch.save(ref.state_dict(), src)
    dst = tmp_path / 'mm.pth'
    load_tool('model_converters/torchvision_resnet_to_mmpretrain.py').main(
        [str(src), str(dst)])

    cfg = Config.fromfile(
        f'configs/_base_/models/resnet{depth}_in1k.py').model
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        net = MODELS.build(cfg).eval()
    state = torch.load(dst, weights_only=True)['state_dict']
    net.load_state_dict(state, strict=True)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        ours = net(x, mode='tensor')
        theirs = ref(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_rejects_other_state_dicts():
    tool = load_tool('model_converters/torchvision_resnet_to_mmpretrain.py')
    with pytest.raises(ValueError, match='not a torchvision ResNet'):
        tool.convert({'backbone.conv1.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match="unexpected key 'avgpool.x'"):
        tool.convert({
            'conv1.weight': torch.zeros(1),
            'fc.weight': torch.zeros(1),
            'avgpool.x': torch.zeros(1)
        })
