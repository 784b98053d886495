# Copyright (c) OpenMMLab. All rights reserved.
"""The fix of mmpretrain's RandomCrop (#16), shown failing without it.
"""

import torch

from mmkd_plus import compat


def test_random_crop_pads_in_its_padding_mode():
    """mmpretrain's RandomCrop pads ``padding`` with zeros whatever its
    ``padding_mode`` (the original method); fixed, reflect mirrors the
    image as torchvision's RandomCrop(32, padding=4, padding_mode='reflect')
    does, and the constant mode and the crop's random draws are unchanged."""
    import numpy as np
    import torchvision.transforms.functional as TF
    from mmpretrain.datasets.transforms import RandomCrop
    image = np.random.default_rng(0).integers(
        0, 255, (32, 32, 3), dtype=np.uint8)
    original = compat.ORIGINALS['fix_random_crop_padding_mode']
    for mode in ('reflect', 'edge', 'symmetric', 'constant'):
        crop = RandomCrop(crop_size=40, padding=4, padding_mode=mode)
        fixed = crop.transform(dict(img=image.copy()))['img']
        # the whole padded image (40 x 40): torchvision's padding
        expected = np.asarray(
            TF.pad(torch.from_numpy(image).permute(2, 0, 1), 4,
                   padding_mode=mode).permute(1, 2, 0))
        assert np.array_equal(fixed, expected), mode
        upstream = original(crop, dict(img=image.copy()))['img']
        assert (upstream[:4] == 0).all(), mode  # zeros, whatever the mode
        assert crop.padding == 4  # left as configured
    crop = RandomCrop(crop_size=32, padding=4, padding_mode='reflect')
    states = []
    for transform in (crop.transform, lambda r: original(crop, r)):
        np.random.seed(3)
        transform(dict(img=image.copy()))
        states.append(np.random.get_state()[1].copy())
    assert np.array_equal(*states)  # the crop draws the same numbers
