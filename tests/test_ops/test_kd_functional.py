# Copyright (c) OpenMMLab. All rights reserved.
import inspect
import math

import numpy as np
import pytest
import torch

from mmkd_plus.ops import kd_functional as kdf


def test_all_lists_every_public_function():
    """``__all__`` holds functions only, and every public function the
    module defines (a helper left out would be missing from the package's
    ``from ... import *``)."""
    defined = {
        name
        for name, obj in vars(kdf).items() if inspect.isfunction(obj)
        and obj.__module__ == kdf.__name__ and not name.startswith('_')
    }
    assert defined - set(kdf.__all__) == set()
    assert all(inspect.isfunction(getattr(kdf, name)) for name in kdf.__all__)
    assert len(set(kdf.__all__)) == len(kdf.__all__)


def test_compute_dtype():
    assert kdf.compute_dtype(torch.float16) == torch.float32
    assert kdf.compute_dtype(torch.bfloat16, torch.float16) == torch.float32
    assert kdf.compute_dtype(torch.float32, torch.float64) == torch.float64
    a, b = kdf.to_compute_dtype(torch.ones(2).half(), torch.ones(2))
    assert a.dtype == b.dtype == torch.float32


def test_pool_to_smaller_never_upsamples():
    x = torch.arange(32.).view(1, 2, 4, 4)
    assert kdf.pool_to_smaller(x, (8, 8)) is x
    out = kdf.pool_to_smaller(x, (2, 8))
    assert out.shape == (1, 2, 2, 4)
    # rows 0-1 and 2-3 averaged
    torch.testing.assert_close(out[0, 0, 0], (x[0, 0, 0] + x[0, 0, 1]) / 2)


def test_pool_pair_to_smaller_per_dim():
    a, b = torch.randn(1, 1, 4, 2), torch.randn(1, 3, 2, 4)
    pa, pb = kdf.pool_pair_to_smaller(a, b)
    assert pa.shape == (1, 1, 2, 2) and pb.shape == (1, 3, 2, 2)


def test_channel_normalize_and_poly_kernel():
    x = torch.tensor([[[[3., 4.]], [[0., 0.]]]])
    n = kdf.channel_normalize(x)
    torch.testing.assert_close(n, torch.tensor([[[0.6, 0.8], [0., 0.]]]))
    k = kdf.poly_kernel(n, n)
    torch.testing.assert_close(k, torch.tensor([[[1., 0.], [0., 0.]]]))
    k1 = kdf.poly_kernel(n, n, degree=1, coef=1.)
    torch.testing.assert_close(k1, torch.tensor([[[2., 1.], [1., 1.]]]))


def test_fsp_matrix_by_loops():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 2, 2)), rng.standard_normal((2, 4, 2, 2))
    g = kdf.fsp_matrix(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    for n in range(2):
        for i in range(3):
            for j in range(4):
                assert g[n, i, j] == pytest.approx(
                    (a[n, i] * b[n, j]).sum() / 4, rel=1e-12)


def test_probabilities_and_similarities():
    x = torch.randn(5, 7, dtype=torch.float64)
    p = kdf.pkt_probabilities(x)
    torch.testing.assert_close(p.sum(1), torch.ones(5, dtype=torch.float64))
    assert (p >= 0).all()
    g = kdf.sp_similarity(x.view(5, 7, 1))
    torch.testing.assert_close(
        g.norm(dim=1), torch.ones(5, dtype=torch.float64))
    assert kdf.pkt_divergence(p, p).item() == pytest.approx(0., abs=1e-12)


def test_cc_and_gaussian_nll():
    s = torch.tensor([[1., -2.], [3., 1.]])
    assert kdf.cc_consecutive_product(s, torch.zeros(2, 2)).item() == 5.
    nll = kdf.gaussian_nll(
        torch.zeros(1, 1), torch.ones(1, 1), torch.tensor(2.))
    assert nll.item() == pytest.approx(0.5 * (0.5 + math.log(2.)))
