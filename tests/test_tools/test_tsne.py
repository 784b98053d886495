# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/tsne.py: the supplement's settings, the embedding, and a
PNG from a DigitsS config."""
import os.path as osp

import numpy as np
from kd_test_utils import REPO, load_tool

tsne = load_tool('analysis/tsne.py')


def test_settings_of_the_supplement():
    assert tsne.TSNE_ARGS == dict(
        n_components=3, perplexity=200.0, early_exaggeration=1.0,
        max_iter=250, metric='cosine', random_state=5)


def test_embedding_is_3d_and_repeatable():
    feats = np.random.RandomState(0).rand(40, 8)
    a = tsne.embed(feats)
    assert a.shape == (40, 3)
    np.testing.assert_array_equal(a, tsne.embed(feats))


def test_png_from_a_fairness_config(digits_root, tmp_path):
    out = str(tmp_path / 'tsne.png')
    config = osp.join(REPO, 'configs', 'mfd',
                      'mfd_cifarnet_half_1xb128_digits_s.py')
    points = tsne.main([
        config, '--out', out, '--max-samples', '60', '--cfg-options',
        f'test_dataloader.dataset.data_root={digits_root}',
        'test_dataloader.batch_size=30'
    ])
    assert points.shape == (60, 3)
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
