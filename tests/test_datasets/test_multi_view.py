# Copyright (c) OpenMMLab. All rights reserved.
"""SSKD's multi-view data: views, their labels, packing, preprocessing."""
import itertools
import os.path as osp

import numpy as np
import pytest
import torch
from kd_test_utils import REPO
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import MODELS, TRANSFORMS

from mmkd_plus.datasets.transforms import (JigsawPermute, LabelledMultiView,
                                           PackMultiViewInputs)

SSKD = osp.join(REPO, 'configs', 'sskd')


@pytest.fixture(autouse=True)
def _mmpretrain_scope():
    # the pipelines inside MultiView build in the default scope, which the
    # configs set to mmpretrain (conftest restores the scope afterwards)
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')


def _image(seed=0, size=32):
    return np.random.RandomState(seed).randint(0, 256, (size, size, 3)).astype(
        np.uint8)


def _rot(angle):
    return dict(type='Rotate', angle=angle, prob=1.0, random_negative_prob=0.0)


def test_rotation_views_are_exact_clockwise_rotations():
    img = _image()
    views = LabelledMultiView(
        transforms=[[], [_rot(90.)], [_rot(180.)], [_rot(270.)]],
        num_views=[1, 1, 1, 1],
        view_labels=[0, 1, 2, 3])(
            dict(img=img))
    assert views['view_labels'] == [0, 1, 2, 3]
    assert views['view_names'] == ('normal', 'view1', 'view2', 'view3')
    for k, view in enumerate(views['img']):
        # mmcv rotates clockwise for a positive angle: np.rot90 with -k
        assert np.array_equal(view, np.rot90(img, -k))


def test_cifar100_views_share_one_flip(monkeypatch):
    """The config's views: one flip for all, then rotation, then a crop
    (here without padding, so the crop is the identity)."""
    cfg = Config.fromfile(osp.join(SSKD, '_base_sskd_views_cifar100.py'))
    pipeline = cfg.train_pipeline
    for view in pipeline[1]['transforms']:
        view[-1]['padding'] = 0
    pipeline = Compose([TRANSFORMS.build(t) for t in pipeline])
    img = _image(1)
    flips = set()
    for seed in range(8):
        np.random.seed(seed)
        out = pipeline(dict(img=img.copy(), gt_label=3))
        views = out['inputs'].permute(0, 2, 3, 1).numpy()
        assert views.shape == (4, 32, 32, 3)
        flipped = np.array_equal(views[0], img[:, ::-1])
        assert flipped or np.array_equal(views[0], img)
        flips.add(flipped)
        for k in (1, 2, 3):
            assert np.array_equal(views[k], np.rot90(views[0], -k))
        sample = out['data_samples']
        assert sample.view_labels.tolist() == [0, 1, 2, 3]
        assert sample.view_names == ('normal', 'rot90', 'rot180', 'rot270')
        assert sample.gt_label.tolist() == [3]
    assert flips == {True, False}


def test_pool_views_build_and_run():
    cfg = Config.fromfile(osp.join(SSKD, '_base_sskd_pool_views_cifar100.py'))
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.train_pipeline])
    np.random.seed(0)
    out = pipeline(dict(img=_image(2), gt_label=0))
    assert out['inputs'].shape == (5, 3, 32, 32)
    gray = out['inputs'][1]
    # colour dropping: three equal channels
    assert torch.equal(gray[0], gray[1]) and torch.equal(gray[1], gray[2])
    assert out['data_samples'].view_names[1:] == ('colour_drop', 'rotation',
                                                  'crop_resize',
                                                  'colour_jitter')


def test_view_label_from_results_key():
    views = LabelledMultiView(
        transforms=[[], [_rot(90.)]],
        num_views=[1, 1],
        view_labels=['sample_idx', 'sample_idx'])(
            dict(img=_image(), sample_idx=17))
    assert views['view_labels'] == [17, 17]
    with pytest.raises(KeyError, match="'sample_idx'"):
        LabelledMultiView(
            transforms=[[]], num_views=2, view_labels=[0, 'sample_idx'])(
                dict(img=_image()))
    with pytest.raises(ValueError, match='2 entries for 3 views'):
        LabelledMultiView(transforms=[[]], num_views=3, view_labels=[0, 1])


@pytest.mark.parametrize('num_views', [1, [1], [0, 1]])
def test_one_view_is_refused(num_views):
    transforms = [[]] if isinstance(num_views, int) else [[]] * len(num_views)
    with pytest.raises(ValueError) as err:
        LabelledMultiView(transforms=transforms, num_views=num_views)
    assert str(err.value) == (
        'LabelledMultiView makes 1 view (num_views='
        f'{[num_views] if isinstance(num_views, int) else num_views}); SSKD '
        'needs at least 2: the normal view first, then the transformed '
        'ones. In the LabelledMultiView of your training pipeline '
        '(train_dataloader.dataset.pipeline) set num_views, one count per '
        'list of transforms, to 2 views or more in all, e.g. '
        'num_views=[1, 3] with transforms=[[crop], [rotate, crop]].')


def test_jigsaw_permutations_and_labels():
    jig = JigsawPermute(grid=2)
    assert jig.num_classes == 24
    perms = jig.permutations
    assert len(set(perms)) == 24 and perms[0] == (0, 1, 2, 3)
    # four constant tiles 0..3 (row-major)
    img = np.zeros((4, 4), np.uint8)
    img[:2, 2:], img[2:, :2], img[2:, 2:] = 1, 2, 3
    for k, perm in enumerate(perms):
        out = JigsawPermute(index=k)(dict(img=img.copy()))
        tiles = [out['img'][r * 2, c * 2] for r in (0, 1) for c in (0, 1)]
        assert tiles == list(perm) and out['ss_label'] == k
    np.random.seed(0)
    seen = {jig(dict(img=img.copy()))['ss_label'] for _ in range(400)}
    assert seen == set(range(24))
    with pytest.raises(ValueError, match='divisible by 2'):
        jig(dict(img=np.zeros((5, 4), np.uint8)))


def test_jigsaw_label_reaches_the_view_labels():
    views = LabelledMultiView(
        transforms=[[], [dict(type='JigsawPermute', index=5)]],
        num_views=[1, 2],
        view_labels=[0, 0, 0])(
            dict(img=_image()))
    # the permutation index the jigsaw view wrote wins over view_labels
    assert views['view_labels'] == [0, 5, 5]


def test_pack_errors():
    with pytest.raises(TypeError, match='LabelledMultiView'):
        PackMultiViewInputs()(dict(img=_image()))
    with pytest.raises(ValueError, match='different shapes'):
        PackMultiViewInputs()(dict(img=[_image(), _image(size=16)]))


def test_preprocessor_per_view_colour_and_normalisation():
    pre = MODELS.build(
        dict(
            type='MultiViewDataPreprocessor',
            mean=[1, 2, 3],
            std=[2, 2, 2],
            to_rgb=True))
    # V == 3: ClsDataPreprocessor would swap the views, not the colours
    x = torch.randint(0, 255, (2, 3, 3, 4, 4), dtype=torch.uint8)
    out = pre(dict(inputs=list(x), data_samples=None))['inputs']
    assert out.shape == (2, 3, 3, 4, 4)
    mean = torch.tensor([1., 2., 3.]).view(3, 1, 1)
    for b, v in itertools.product(range(2), range(3)):
        expected = (x[b, v].flip(0).float() - mean) / 2
        assert torch.allclose(out[b, v], expected)
    # single-view batches: exactly mmpretrain's ClsDataPreprocessor
    cls = MODELS.build(
        dict(
            type='ClsDataPreprocessor',
            mean=[1, 2, 3],
            std=[2, 2, 2],
            to_rgb=True))
    single = [x[0, 0], x[1, 2]]
    assert torch.equal(
        pre(dict(inputs=single, data_samples=None))['inputs'],
        cls(dict(inputs=single, data_samples=None))['inputs'])


def test_training_batch_has_every_view_validation_only_normal(digits_root):
    cfg = Config.fromfile(osp.join(SSKD, '_base_sskd_views_digits.py'))
    pre = MODELS.build(cfg.data_preprocessor)
    for split, shape in (('train', (4, 4, 3, 32, 32)), ('val', (4, 3, 32,
                                                                32))):
        ds_cfg = cfg[f'{split}_dataloader'].dataset
        ds_cfg.data_root = digits_root
        from mmpretrain.registry import DATASETS
        ds = DATASETS.build(ds_cfg)
        batch = pre(pseudo_collate([ds[i] for i in range(4)]), True)
        assert tuple(batch['inputs'].shape) == shape
        assert len(batch['data_samples']) == 4


def test_random_hue_is_mmcv_adjust_hue_and_takes_negative_shifts():
    import mmcv

    from mmkd_plus.datasets.transforms import RandomHue
    img = _image(3, size=8)
    for factor in (0.05, 0.1, 0.3):
        assert np.array_equal(
            RandomHue(color_format='bgr').shift(img, factor),
            mmcv.adjust_hue(img, factor, backend='cv2'))
    # mmcv (behind mmpretrain's ColorJitter) fails for a negative shift on
    # numpy >= 2; RandomHue wraps around as numpy < 2 did
    if int(np.__version__.split('.')[0]) >= 2:
        with pytest.raises(OverflowError):
            mmcv.adjust_hue(img, -0.1, backend='cv2')
    shifted = RandomHue(color_format='bgr').shift(img, -0.1)
    assert shifted.shape == img.shape and not np.array_equal(shifted, img)
    with pytest.raises(ValueError, match=r'\[0, 0.5\]'):
        RandomHue(hue=0.6)
