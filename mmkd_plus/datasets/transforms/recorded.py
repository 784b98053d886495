# Copyright (c) OpenMMLab. All rights reserved.
"""Random crops and flips whose sampled parameters are recorded and
replayed, for training from a teacher cache."""
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import RandomFlip
from mmpretrain.datasets.transforms import RandomCrop, RandomResizedCrop

from mmkd_plus.registry import TRANSFORMS

__all__ = [
    'RecordedRandomCrop', 'RecordedRandomFlip', 'RecordedRandomResizedCrop',
    'RECORD_KEY', 'REPLAY_KEY'
]

#: The results key of a dict that the recorded transforms fill with the
#: parameters they sampled (``{replay_key: int32 array}``).
RECORD_KEY = 'teacher_cache_record'
#: The results key of a dict holding the parameters to apply instead of
#: sampling (``{replay_key: int array}``).
REPLAY_KEY = 'teacher_cache_replay'


class _Recorded:
    """What the recorded transforms share: the parameters of one call are
    sampled by the parent transform's own method (``rand_crop_params``,
    ``_choose_direction``) and written to ``results[RECORD_KEY]``, or taken
    from ``results[REPLAY_KEY]`` instead of being sampled.

    Without either key the transform is its parent, unchanged.
    """

    #: The names of the recorded parameters, in their stored order.
    PARAMS: Tuple[str, ...] = ()

    def __init__(self, *args, replay_key: str = 'view', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.replay_key = replay_key
        self._replay: Optional[np.ndarray] = None
        self._sampled: Optional[Tuple[int, ...]] = None

    def transform(self, results: dict) -> dict:
        """Apply the parent transform, replaying or recording its
        parameters.

        Args:
            results (dict): The result dict of the data pipeline.

        Returns:
            dict: The transformed results.
        """
        replay = results.get(REPLAY_KEY)
        self._replay = None
        if replay is not None:
            if self.replay_key not in replay:
                raise KeyError(
                    f'{type(self).__name__}: no recorded parameters under '
                    f'{self.replay_key!r} (recorded: {sorted(replay)}); the '
                    'cache was recorded with another pipeline.')
            self._replay = np.asarray(replay[self.replay_key]).reshape(-1)
            if len(self._replay) != len(self.PARAMS):
                raise ValueError(
                    f'{type(self).__name__}: {len(self._replay)} recorded '
                    f'parameters under {self.replay_key!r}, expected '
                    f'{len(self.PARAMS)} {self.PARAMS}.')
        self._sampled = None
        results = super().transform(results)
        record = results.get(RECORD_KEY)
        if record is not None:
            record[self.replay_key] = np.asarray(self._sampled, np.int32)
        return results

    def __repr__(self) -> str:
        return f'{super().__repr__()[:-1]}, replay_key={self.replay_key!r})'


class _RecordedCropParams(_Recorded):
    """The crops' ``rand_crop_params``: the box ``(offset_h, offset_w,
    target_h, target_w)`` in the (padded) image."""

    PARAMS = ('offset_h', 'offset_w', 'target_h', 'target_w')

    def rand_crop_params(self, img: np.ndarray) -> Tuple[int, int, int, int]:
        """The recorded box, or one sampled by the parent (and recorded).

        Args:
            img (np.ndarray): The image to crop.

        Returns:
            tuple: ``(offset_h, offset_w, target_h, target_w)``.
        """
        if self._replay is None:
            params = tuple(int(v) for v in super().rand_crop_params(img))
        else:
            params = tuple(int(v) for v in self._replay)
            top, left, height, width = params
            h, w = img.shape[:2]
            if not (0 <= top and 0 <= left and 0 < height and 0 < width
                    and top + height <= h and left + width <= w):
                raise ValueError(
                    f'{type(self).__name__}: the recorded crop (top {top}, '
                    f'left {left}, {height} x {width}) does not fit the '
                    f'{h} x {w} image: the cache was recorded on other '
                    'images.')
        self._sampled = params
        return params


@TRANSFORMS.register_module()
class RecordedRandomCrop(_RecordedCropParams, RandomCrop):
    """mmpretrain's ``RandomCrop`` that records and replays its crop box.

    The padding and the crop are mmpretrain's; only the box
    ``(offset_h, offset_w, target_h, target_w)`` of the padded image, which
    ``RandomCrop.rand_crop_params`` samples, is written to
    ``results['teacher_cache_record'][replay_key]`` when that dict is
    present, or read from ``results['teacher_cache_replay'][replay_key]``
    instead of being sampled. With neither key it is ``RandomCrop``.
    :class:`~mmkd_plus.datasets.TeacherCacheDataset` puts it in place of
    ``RandomCrop`` in a pipeline.

    Args:
        replay_key (str): The key of this transform's parameters.
            Defaults to ``'view'``.
        **kwargs: The arguments of mmpretrain's ``RandomCrop``.
    """


@TRANSFORMS.register_module()
class RecordedRandomResizedCrop(_RecordedCropParams, RandomResizedCrop):
    """mmpretrain's ``RandomResizedCrop`` that records and replays its box.

    As :class:`RecordedRandomCrop`: the box ``(offset_h, offset_w,
    target_h, target_w)`` in the original image, which
    ``RandomResizedCrop.rand_crop_params`` samples (scale and aspect ratio
    included), is recorded or replayed; the crop and the resize are
    mmpretrain's.

    Args:
        replay_key (str): The key of this transform's parameters.
            Defaults to ``'view'``.
        **kwargs: The arguments of mmpretrain's ``RandomResizedCrop``.
    """


@TRANSFORMS.register_module()
class RecordedRandomFlip(_Recorded, RandomFlip):
    """mmcv's ``RandomFlip`` that records and replays its direction.

    The direction ``RandomFlip._choose_direction`` samples is recorded as
    one integer: 0 for no flip, ``i`` for the i-th of ``direction`` (1 for
    the single direction of ``direction='horizontal'``). The flip itself is
    mmcv's.

    Args:
        replay_key (str): The key of this transform's parameters.
            Defaults to ``'view'``.
        **kwargs: The arguments of mmcv's ``RandomFlip``.
    """

    PARAMS = ('direction', )

    def _directions(self) -> Sequence[Optional[str]]:
        if isinstance(self.direction, str):
            return [None, self.direction]
        return [None, *self.direction]

    def _choose_direction(self) -> Optional[str]:
        """The recorded direction, or one sampled by the parent (and
        recorded).

        Returns:
            str | None: The flip direction, None for no flip.
        """
        directions = self._directions()
        if self._replay is None:
            direction = super()._choose_direction()
            code = directions.index(direction)
        else:
            code = int(self._replay[0])
            if not 0 <= code < len(directions):
                raise ValueError(
                    f'{type(self).__name__}: recorded direction code {code} '
                    f'is not one of {directions} (0 = no flip).')
            direction = directions[code]
        self._sampled = (code, )
        return direction
