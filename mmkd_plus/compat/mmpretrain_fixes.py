# Copyright (c) OpenMMLab. All rights reserved.
"""A fix of mmpretrain's transforms (#16 of ``docs/compat.md``).
"""
from .base import ORIGINALS, once

__all__ = ['fix_random_crop_padding_mode']


def _random_crop_transform(self, results: dict) -> dict:
    """mmpretrain's ``RandomCrop.transform`` with ``padding`` padded in
    ``padding_mode`` (then the original crop, on the padded image)."""
    original = ORIGINALS['fix_random_crop_padding_mode']
    if self.padding is None or self.padding_mode == 'constant':
        return original(self, results)
    import mmcv
    results['img'] = mmcv.impad(
        results['img'], padding=self.padding, padding_mode=self.padding_mode)
    padding, self.padding = self.padding, None
    try:
        return original(self, results)
    finally:
        self.padding = padding


@once
def fix_random_crop_padding_mode() -> bool:
    """#16 (silent): mmpretrain's ``RandomCrop`` pads with zeros whatever
    its ``padding_mode``.

    Its docstring gives ``padding_mode`` (``'reflect'``, ``'edge'``,
    ``'symmetric'``) as the type of padding, as torchvision's, but
    ``transform`` pads ``padding`` with ``pad_val`` and uses the mode only
    for ``pad_if_needed``: ``RandomCrop(32, padding=4,
    padding_mode='reflect')`` silently pads with zeros. We pad ``padding``
    in the given mode first; ``'constant'`` (the default) is unchanged, and
    so is the random crop that follows (same draws).
    """
    from mmpretrain.datasets.transforms import RandomCrop
    if RandomCrop.transform is _random_crop_transform:
        return False
    ORIGINALS['fix_random_crop_padding_mode'] = RandomCrop.transform
    RandomCrop.transform = _random_crop_transform
    return True
