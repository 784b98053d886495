# Copyright (c) OpenMMLab. All rights reserved.
"""Each method trains with its own authors' augmentation, not a shared
default: QuEST pads CIFAR crops by reflection (valeoai/QuEST,
``cifar_dataset.py``); RepDistiller (the teachers, the baselines, CRD and
so WCoRD) and SSKD pad with zeros; the MFD code squashes UTKFace to
256 x 256 before its crop and the face test images to 176 x 176."""
import glob
import os.path as osp

import numpy as np
import pytest
from config_snapshot import leaf_configs
from kd_test_utils import REPO
from mmengine.config import Config
from mmpretrain.registry import TRANSFORMS


def _crops(pipeline):
    """Every RandomCrop of a pipeline, views' transforms included."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            if value.get('type') == 'RandomCrop':
                found.append(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(pipeline)
    return found


def _train_pipeline(cfg):
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset:  # wrapped (CRD, a teacher cache)
        dataset = dataset.dataset
    return dataset.pipeline


CIFAR_LEAVES = sorted(
    rel for rel in leaf_configs()
    if rel.endswith(('_cifar100.py', '_cifar10.py')))


@pytest.mark.parametrize('rel', CIFAR_LEAVES)
def test_cifar_crop_padding_follows_the_authors(rel):
    cfg = Config.fromfile(osp.join(REPO, rel))
    crops = _crops(_train_pipeline(cfg))
    assert crops, rel
    expected = 'reflect' if rel.startswith('configs/quest/') else 'constant'
    for crop in crops:
        assert crop.get('padding_mode', 'constant') == expected, rel
        assert crop['padding'] == 4 and crop['crop_size'] == 32


def test_zero_padding_fills_the_border_with_zeros():
    """mmcv's RandomCrop with the default padding mode fills with 0, as
    torchvision's RandomCrop(32, padding=4) does; reflect mirrors pixels."""
    image = np.full((32, 32, 3), 200, dtype=np.uint8)
    for mode, border in (('constant', 0), ('reflect', 200)):
        crop = TRANSFORMS.build(
            dict(type='RandomCrop', crop_size=40, padding=4,
                 padding_mode=mode))
        out = crop(dict(img=image.copy()))['img']
        assert out.shape == (40, 40, 3)  # the whole padded image
        assert (out[0] == border).all() and (out[:, -1] == border).all()


@pytest.mark.parametrize('rel', sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'configs', 'mfd', '*_utkface.py')) +
    glob.glob(osp.join(REPO, 'configs', 'mfd', '*_celeba.py'))))
def test_face_images_are_resized_as_the_mfd_code(rel):
    cfg = Config.fromfile(osp.join(REPO, rel))
    test = [t['type'] for t in cfg.test_dataloader.dataset.pipeline]
    assert 'ResizeEdge' not in test
    resize = next(t for t in cfg.test_dataloader.dataset.pipeline
                  if t['type'] == 'Resize')
    assert tuple(resize['scale']) == (176, 176)
    train = _train_pipeline(cfg)
    if rel.endswith('_utkface.py'):
        assert [t['type'] for t in train[1:4]] == [
            'Resize', 'RandomCrop', 'RandomFlip']
        assert tuple(train[1]['scale']) == (256, 256)
    else:
        assert train[1]['type'] == 'RandomResizedCrop'
    # a CelebA-shaped image (178 x 218) becomes 176 x 176, not 176 x 215
    image = np.zeros((218, 178, 3), dtype=np.uint8)
    out = TRANSFORMS.build(resize)(dict(img=image))['img']
    assert out.shape[:2] == (176, 176)
