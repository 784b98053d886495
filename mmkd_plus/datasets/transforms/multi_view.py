# Copyright (c) OpenMMLab. All rights reserved.
"""Multi-view data for self-supervised distillation (SSKD).

"Knowledge Distillation Meets Self-Supervision" (Xu et al., ECCV 2020),
https://arxiv.org/abs/2006.07114: every training image is fed together with
transformed copies of itself. mmpretrain's ``MultiView`` makes the copies
(with mmpretrain's and mmcv's own transforms: ``Rotate``, ``RandomGrayscale``,
``RandomResizedCrop``, ``ColorJitter``, ...); what is added here is what
they lack:

- :class:`LabelledMultiView`: ``MultiView`` that also records, for each
  view, its self-supervised label (the rotation, the jigsaw permutation,
  the image index), which ``MultiView`` drops;
- :class:`JigsawPermute`: the 2x2 jigsaw puzzle (24 permutation classes);
- :class:`RandomHue`: the hue part of colour jitter (mmcv's
  ``adjust_hue``, behind mmpretrain's ``ColorJitter(hue=...)``, raises
  ``OverflowError`` for a negative shift on numpy >= 2);
- :class:`PackMultiViewInputs`: packs the V views of an image into one
  (V, C, H, W) tensor and the labels into the data sample, so that a batch
  holds every view and says which is which.
"""
import itertools
import random
from typing import List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.datasets.transforms import MultiView, PackInputs

from mmkd_plus.registry import TRANSFORMS

__all__ = [
    'LabelledMultiView', 'JigsawPermute', 'RandomHue', 'PackMultiViewInputs'
]


@TRANSFORMS.register_module()
class LabelledMultiView(MultiView):
    """mmpretrain's ``MultiView`` that keeps a label for every view.

    The views are made exactly as ``MultiView`` makes them (each from a
    copy of the incoming results, in order); the first view must be the
    normal one. Each view's label is, in this order of precedence: the
    ``ss_label`` its pipeline wrote (e.g. :class:`JigsawPermute`), else the
    entry of ``view_labels``: an int, or the name of a results key (e.g.
    ``'sample_idx'``, the label of the exemplar task).

    Added keys: ``img`` (list of V images), ``view_labels`` (list of V
    ints), ``view_names`` (tuple of V strings).

    Args:
        transforms (list[list[dict]]): One pipeline per group of views.
        num_views (int | list[int]): Views per pipeline; at least 2 views
            in all (the normal one first).
        view_labels (list[int | str], optional): One label per view (the
            sum of ``num_views``). Defaults to None (the view's position).
        view_names (list[str], optional): One name per view. Defaults to
            ``normal, view1, view2, ...``.

    Example:
        >>> rot = lambda a: dict(type='Rotate', angle=a, prob=1.0,
        ...                      random_negative_prob=0.0)
        >>> crop = dict(type='RandomCrop', crop_size=32, padding=4)
        >>> dict(type='LabelledMultiView', num_views=[1, 1, 1, 1],
        ...      transforms=[[crop], [rot(90.), crop], [rot(180.), crop],
        ...                  [rot(270.), crop]],
        ...      view_labels=[0, 1, 2, 3],
        ...      view_names=['normal', 'rot90', 'rot180', 'rot270'])
    """

    def __init__(self,
                 transforms: List[list],
                 num_views: Union[int, List[int]],
                 view_labels: Optional[Sequence[Union[int, str]]] = None,
                 view_names: Optional[Sequence[str]] = None) -> None:
        super().__init__(transforms=transforms, num_views=num_views)
        total = len(self.transforms)
        if total < 2:
            raise ValueError(
                f'LabelledMultiView makes {total} view{"s" * (total != 1)} '
                f'(num_views={self.num_views}); SSKD needs at least 2: the '
                'normal view first, then the transformed ones. In the '
                'LabelledMultiView of your training pipeline '
                '(train_dataloader.dataset.pipeline) set num_views, one '
                'count per list of transforms, to 2 views or more in all, '
                'e.g. num_views=[1, 3] with transforms=[[crop], [rotate, '
                'crop]].')
        if view_labels is None:
            view_labels = list(range(total))
        if view_names is None:
            view_names = ['normal'] + [f'view{i}' for i in range(1, total)]
        for key, value in (('view_labels', view_labels), ('view_names',
                                                          view_names)):
            if len(value) != total:
                raise ValueError(
                    f'LabelledMultiView.{key} has {len(value)} entries for '
                    f'{total} views (sum of num_views={self.num_views}); '
                    'give one per view.')
        self.view_labels = list(view_labels)
        self.view_names = tuple(view_names)

    def transform(self, results: dict) -> dict:
        """Make the views and their labels.

        Args:
            results (dict): The result dict of the data pipeline.

        Returns:
            dict: ``results`` with ``img``, ``view_labels``, ``view_names``.
        """
        images, labels = [], []
        for pipeline, label in zip(self.transforms, self.view_labels):
            outputs = pipeline(dict(results, img=results['img'].copy()))
            images.append(outputs['img'])
            if 'ss_label' in outputs:
                label = outputs['ss_label']
            elif isinstance(label, str):
                if label not in results:
                    raise KeyError(
                        f'LabelledMultiView.view_labels names {label!r}, '
                        'which the results of the pipeline do not have '
                        f'(keys: {sorted(results)}).')
                label = results[label]
            labels.append(int(label))
        results.update(
            img=images, view_labels=labels, view_names=self.view_names)
        return results


@TRANSFORMS.register_module()
class JigsawPermute(BaseTransform):
    """Cut the image into ``grid x grid`` tiles and permute them.

    The jigsaw task of SSKD's ablation (supplement Sec. 3; Noroozi & Favaro,
    ECCV 2016): with 2x2 tiles there are 4! = 24 permutations, the classes
    of the self-supervised classifier. Permutation ``k`` is the k-th of
    ``itertools.permutations(range(grid * grid))`` (0 is the identity);
    tile ``p`` of the output (row-major) is tile ``perm[p]`` of the input.

    Added key: ``ss_label`` (int, the permutation index).

    Args:
        grid (int): Tiles per side. Defaults to 2.
        index (int, optional): Always apply this permutation (for tests and
            visualisation). Defaults to None (uniformly random).
    """

    def __init__(self, grid: int = 2, index: Optional[int] = None) -> None:
        if grid < 2:
            raise ValueError(f'JigsawPermute.grid must be >= 2, got {grid}')
        self.grid = grid
        self.permutations = list(itertools.permutations(range(grid * grid)))
        if index is not None and not 0 <= index < len(self.permutations):
            raise ValueError(f'JigsawPermute.index must be in [0, '
                             f'{len(self.permutations)}), got {index}')
        self.index = index

    @property
    def num_classes(self) -> int:
        """The number of permutations: (grid * grid)!."""
        return len(self.permutations)

    def transform(self, results: dict) -> dict:
        """Permute the tiles of ``results['img']``.

        Args:
            results (dict): The result dict; ``img`` is (H, W[, C]) with H
                and W divisible by ``grid``.

        Returns:
            dict: ``results`` with the permuted ``img`` and ``ss_label``.
        """
        img = results['img']
        h, w = img.shape[:2]
        g = self.grid
        if h % g or w % g:
            raise ValueError(
                f'JigsawPermute(grid={g}) needs an image whose sides are '
                f'divisible by {g}, got {h}x{w}; crop or resize first.')
        index = self.index if self.index is not None else \
            np.random.randint(len(self.permutations))
        th, tw = h // g, w // g
        tiles = [
            img[r * th:(r + 1) * th, c * tw:(c + 1) * tw] for r in range(g)
            for c in range(g)
        ]
        perm = self.permutations[index]
        rows = [
            np.concatenate([tiles[perm[r * g + c]] for c in range(g)], axis=1)
            for r in range(g)
        ]
        results['img'] = np.ascontiguousarray(np.concatenate(rows, axis=0))
        results['ss_label'] = int(index)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(grid={self.grid}, ' \
               f'index={self.index})'


@TRANSFORMS.register_module()
class RandomHue(BaseTransform):
    """Shift the hue by a factor drawn uniformly from [-hue, hue].

    The hue step of torchvision's / mmcv's colour jitter: in HSV with the
    hue on 0..255, ``h = (h + int(factor * 255)) mod 256``, as mmcv's
    ``adjust_hue`` computes it on numpy < 2 (where a negative shift wraps
    around; numpy >= 2 raises ``OverflowError`` instead). Use it after
    ``ColorJitter(hue=0)``.

    Args:
        hue (float): The largest shift, in [0, 0.5]. Defaults to 0.1.
        color_format (str): ``'rgb'`` or ``'bgr'``, the channel order of
            the image. Defaults to ``'rgb'``.
    """

    def __init__(self, hue: float = 0.1, color_format: str = 'rgb') -> None:
        if not 0.0 <= hue <= 0.5:
            raise ValueError(f'RandomHue.hue must be in [0, 0.5], got {hue}')
        if color_format not in ('rgb', 'bgr'):
            raise ValueError("RandomHue.color_format must be 'rgb' or "
                             f"'bgr', got {color_format!r}")
        self.hue = hue
        self.color_format = color_format

    def shift(self, img: np.ndarray, factor: float) -> np.ndarray:
        """Shift the hue of a uint8 image by ``factor``."""
        to_hsv, to_img = (cv2.COLOR_RGB2HSV_FULL, cv2.COLOR_HSV2RGB_FULL) \
            if self.color_format == 'rgb' else (cv2.COLOR_BGR2HSV_FULL,
                                                cv2.COLOR_HSV2BGR_FULL)
        hsv = cv2.cvtColor(img.astype(np.uint8), to_hsv)
        step = int(factor * 255)
        hsv[...,
            0] = ((hsv[..., 0].astype(np.int32) + step) % 256).astype(np.uint8)
        return cv2.cvtColor(hsv, to_img).astype(img.dtype)

    def transform(self, results: dict) -> dict:
        """Shift the hue of ``results['img']`` by a random factor."""
        results['img'] = self.shift(results['img'],
                                    random.uniform(-self.hue, self.hue))
        return results


@TRANSFORMS.register_module()
class PackMultiViewInputs(PackInputs):
    """Pack the V views of an image as one (V, C, H, W) tensor.

    Follows :class:`LabelledMultiView` (or mmpretrain's ``MultiView``).
    ``inputs`` is the stacked views; the data sample gets ``view_labels``
    (a long tensor of V labels, the targets of the self-supervised task)
    and the metainfo ``view_names``. A batch of B such samples becomes,
    through :class:`~mmkd_plus.models.data_preprocessors.
    MultiViewDataPreprocessor`, a (B, V, C, H, W) tensor whose view 0 is
    the normal image.

    Args:
        **kwargs: The arguments of mmpretrain's ``PackInputs``.
    """

    def transform(self, results: dict) -> dict:
        """Pack the views, the annotations and the view labels.

        Args:
            results (dict): The result dict of the data pipeline.

        Returns:
            dict: ``inputs`` (V, C, H, W) and ``data_samples``.
        """
        views = results.get(self.input_key)
        if not isinstance(views, list) or not views:
            raise TypeError(
                'PackMultiViewInputs needs a list of views in '
                f'results[{self.input_key!r}]; put LabelledMultiView (or '
                'MultiView) before it in the train pipeline.')
        shapes = {tuple(np.shape(v)) for v in views}
        if len(shapes) != 1:
            raise ValueError(
                f'the {len(views)} views have different shapes {shapes}; '
                'every view must end at the same size (crop/resize each).')
        packed = super().transform(results)
        packed['inputs'] = torch.stack(packed['inputs'])
        data_sample = packed['data_samples']
        labels = results.get('view_labels', list(range(len(views))))
        data_sample.set_field(
            torch.as_tensor(labels, dtype=torch.long), 'view_labels')
        names = results.get('view_names') or tuple(
            ['normal'] + [f'view{i}' for i in range(1, len(views))])
        data_sample.set_metainfo(dict(view_names=tuple(names)))
        return packed
