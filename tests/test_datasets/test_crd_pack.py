# Copyright (c) OpenMMLab. All rights reserved.
"""PackCRDInputs and CRDDatasetWrapper on the bundled digits."""
import logging

import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS, TRANSFORMS

from mmkd_plus.datasets.crd_dataset import CRDDatasetWrapper
from mmkd_plus.datasets.transforms.formatting import PackCRDInputs


def _results(**extra):
    results = dict(
        img=np.zeros((4, 4, 3), dtype=np.uint8), gt_label=3, sample_idx=7)
    results.update(extra)
    return results


def test_pack_crd_inputs_puts_the_indices_in_the_data_sample():
    pack = TRANSFORMS.build(dict(type='PackCRDInputs'))
    assert isinstance(pack, PackCRDInputs)
    out = pack(_results(contrast_idx=np.array([7, 1, 2, 9])))
    sample = out['data_samples']
    assert out['inputs'].shape == (3, 4, 4)
    assert sample.gt_label.tolist() == [3]
    assert sample.sample_idx == 7
    assert 'sample_idx' in sample.metainfo_keys()
    assert sample.contrast_idx.dtype == torch.long
    assert sample.contrast_idx.tolist() == [7, 1, 2, 9]


def test_pack_crd_inputs_variants():
    # MMRazor's key is stored under ours
    sample = PackCRDInputs()(
        _results(contrast_sample_idxs=[7, 4]))['data_samples']
    assert sample.contrast_idx.tolist() == [7, 4]
    assert 'contrast_sample_idxs' not in sample
    # no contrast indices: none packed, sample_idx still there
    sample = PackCRDInputs()(_results())['data_samples']
    assert 'contrast_idx' not in sample and sample.sample_idx == 7
    # meta_keys without sample_idx: it is packed anyway
    sample = PackCRDInputs(meta_keys=('img_shape', ))(
        _results())['data_samples']
    assert sample.sample_idx == 7


def _wrapped(digits_root, num_negatives=1024, **kwargs):
    return DATASETS.build(
        dict(
            type='CRDDatasetWrapper',
            num_negatives=num_negatives,
            dataset=dict(
                type='DigitsCIFAR',
                data_root=digits_root,
                split='train',
                pipeline=[dict(type='PackCRDInputs')],
                serialize_data=False),
            **kwargs))


def test_wrapped_digits_give_contrast_indices_of_other_classes(digits_root):
    np.random.seed(0)
    dataset = _wrapped(digits_root)
    assert isinstance(dataset, CRDDatasetWrapper)
    assert len(dataset) == 1438
    labels = np.asarray(dataset.dataset.get_gt_labels())
    for idx in (0, 1, 700, 1437):
        sample = dataset[idx]['data_samples']
        assert sample.sample_idx == idx
        contrast = sample.contrast_idx.numpy()
        assert contrast.shape == (1025, )
        assert contrast[0] == idx  # 'exact': the positive is the sample
        negatives = contrast[1:]
        assert (labels[negatives] != labels[idx]).all()
        # 1024 < the ~1294 samples of the other classes: no repeats
        assert len(np.unique(negatives)) == 1024
        assert negatives.min() >= 0 and negatives.max() < 1438
    assert dataset.metainfo['classes'] == tuple(str(i) for i in range(10))


def test_wrapped_negatives_cover_the_other_classes(digits_root):
    np.random.seed(1)
    dataset = _wrapped(digits_root, num_negatives=30000)
    labels = np.asarray(dataset.dataset.get_gt_labels())
    contrast = dataset.contrast_indices(3)
    # more negatives than samples of other classes: drawn with repeats,
    # and every other sample shows up
    others = np.flatnonzero(labels != labels[3])
    assert len(contrast) == 30001
    assert set(contrast[1:].tolist()) == set(others.tolist())


def test_relax_mode_and_test_mode(digits_root):
    np.random.seed(2)
    dataset = _wrapped(digits_root, num_negatives=8, sample_mode='relax')
    labels = np.asarray(dataset.dataset.get_gt_labels())
    contrast = dataset.contrast_indices(10)
    assert labels[contrast[0]] == labels[10]
    assert (labels[contrast[1:]] != labels[10]).all()
    test_set = DATASETS.build(
        dict(
            type='CRDDatasetWrapper',
            num_negatives=8,
            dataset=dict(
                type='DigitsCIFAR',
                data_root=digits_root,
                split='test',
                test_mode=True,
                pipeline=[dict(type='PackCRDInputs')])))
    assert 'contrast_idx' not in test_set[0]['data_samples']
    with pytest.raises(ValueError, match='sample_mode'):
        _wrapped(digits_root, sample_mode='random')


def test_wrapped_subset_keeps_indices_in_range(digits_root):
    dataset = DATASETS.build(
        dict(
            type='CRDDatasetWrapper',
            num_negatives=16,
            dataset=dict(
                type='DigitsCIFAR',
                data_root=digits_root,
                split='train',
                indices=64,
                pipeline=[dict(type='PackCRDInputs')])))
    assert len(dataset) == 64
    contrast = dataset[63]['data_samples'].contrast_idx
    assert contrast[0] == 63 and contrast.max() < 64


def test_wrapper_forwards_dataset_keys(digits_root):
    # what tools do to a config: cfg.train_dataloader.dataset.data_root =
    # ..., .indices = ...; on a wrapped config the keys reach the dataset
    dataset = DATASETS.build(
        dict(
            type='CRDDatasetWrapper',
            num_negatives=4,
            data_root=digits_root,
            indices=32,
            dataset=dict(
                type='DigitsCIFAR',
                data_root='no/such/folder',
                split='train',
                pipeline=[dict(type='PackCRDInputs')])))
    assert len(dataset) == 32
    assert dataset.dataset.data_root == digits_root
    with pytest.raises(TypeError, match='already built'):
        CRDDatasetWrapper(dataset.dataset, num_negatives=4, indices=8)


def _wrapper_warnings(monkeypatch, **cfg):
    """Build a wrapped digits share; the warnings the wrapper logs."""
    import mmkd_plus.datasets.crd_dataset as crd_dataset
    logged = []
    monkeypatch.setattr(crd_dataset, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    dataset = DATASETS.build(dict(type='CRDDatasetWrapper', **cfg))
    return dataset, logged


def test_more_negatives_than_other_samples_warns_once(digits_root,
                                                      monkeypatch):
    """The demo's 144-image share with the digits recipe's 1024 negatives:
    every class has fewer other-class samples, so the negatives repeat;
    the wrapper says so once, with the numbers and the keys to lower."""
    dataset, logged = _wrapper_warnings(
        monkeypatch,
        num_negatives=1024,
        dataset=dict(
            type='DigitsCIFAR',
            data_root=digits_root,
            split='train',
            indices=144,
            pipeline=[dict(type='PackCRDInputs')]))
    counts = np.bincount(dataset.gt_labels)
    fewest = 144 - counts.max()
    assert len(logged) == 1
    msg, kwargs = logged[0]
    assert kwargs['level'] == logging.WARNING
    assert 'num_negatives=1024' in msg
    assert f'for {len(counts)} of the {len(counts)} classes' in msg
    assert f'the fewest: {fewest} of the 144 samples lie outside class ' \
        f'{counts.argmax()}' in msg
    assert 'train_dataloader.dataset.num_negatives' in msg
    assert f'to at most {fewest}' in msg
    # the negatives do repeat, and they are still of other classes
    contrast = dataset[0]['data_samples'].contrast_idx
    others = 144 - counts[dataset.gt_labels[0]]
    assert len(contrast) == 1025
    assert len(set(contrast[1:].tolist())) <= others < 1024
    assert not (dataset.gt_labels[contrast[1:]] == dataset.gt_labels[0]).any()
    # indexing again (full_init) says nothing more
    dataset.full_init()
    len(dataset)
    assert len(logged) == 1


def test_enough_other_samples_no_warning(digits_root, monkeypatch):
    """The whole digits (1,438 images, > 1,200 outside any class) give
    1024 distinct negatives: no warning."""
    dataset, logged = _wrapper_warnings(
        monkeypatch,
        num_negatives=1024,
        dataset=dict(
            type='DigitsCIFAR',
            data_root=digits_root,
            split='train',
            pipeline=[dict(type='PackCRDInputs')]))
    assert len(dataset) - np.bincount(dataset.gt_labels).max() >= 1024
    assert logged == []
    contrast = dataset[0]['data_samples'].contrast_idx
    assert len(set(contrast[1:].tolist())) == 1024
