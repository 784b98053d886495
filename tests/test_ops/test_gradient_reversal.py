# Copyright (c) OpenMMLab. All rights reserved.
import torch

from mmkd_plus.ops import grad_reverse


def test_identity_forward_reversed_scaled_gradient():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = grad_reverse(x, 0.5)
    assert torch.equal(y, x)
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    # d(sum w*x)/dx = w, reversed and scaled
    assert x.grad.tolist() == [-0.5, -1.0, -1.5]


def test_adversary_descends_while_the_input_ascends():
    x = torch.tensor([2.0], requires_grad=True)
    w = torch.tensor([3.0], requires_grad=True)
    loss = (w * grad_reverse(x, 2.0)).pow(2).sum()  # (w x)^2
    loss.backward()
    assert w.grad.item() == 2 * 3.0 * 2.0**2  # the usual gradient
    assert x.grad.item() == -2.0 * (2 * 3.0**2 * 2.0)  # reversed, x2
