# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/wcord_critic.py: the class information of WCoRD's critic
embeddings, against scikit-learn and on a digits config."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from kd_test_utils import REPO, load_tool

critic = load_tool('analysis/wcord_critic.py')


def test_nearest_neighbour_accuracy_equals_scikit_learn_leave_one_out():
    from sklearn.model_selection import LeaveOneOut, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(4).repeat(10)
    feats = torch.randn(40, 6, generator=g) + 0.8 * F.one_hot(labels, 6)
    got = critic.class_information(feats, labels)
    x = F.normalize(feats.double(), dim=1)
    centred = F.normalize(x - x.mean(0), dim=1).numpy()
    expected = 100 * cross_val_score(
        KNeighborsClassifier(n_neighbors=1, metric='cosine'), centred,
        labels.numpy(), cv=LeaveOneOut()).mean()
    assert got['nn_accuracy'] == pytest.approx(expected)
    cos = x @ x.t()
    other = labels[:, None] != labels[None, :]
    assert got['other_cosine'] == pytest.approx(cos[other].mean().item())


def test_collapsed_embeddings_lose_the_classes():
    g = torch.Generator().manual_seed(1)
    labels = torch.arange(5).repeat(8)
    apart = F.one_hot(labels, 5).double() + 0.05 * torch.randn(
        40, 5, generator=g, dtype=torch.float64)
    collapsed = torch.ones(40, 5, dtype=torch.float64) + 1e-3 * torch.randn(
        40, 5, generator=g, dtype=torch.float64)
    a = critic.class_information(apart, labels)
    c = critic.class_information(collapsed, labels)
    assert a['nn_accuracy'] == 100.0 and a['other_cosine'] < 0.1
    assert c['nn_accuracy'] < 50.0 and c['other_cosine'] > 0.999


def test_one_class_is_refused():
    with pytest.raises(ValueError, match='two classes'):
        critic.class_information(torch.randn(5, 3), torch.zeros(5).long())


def test_a_digits_config_reports_every_embedding(digits_root,
                                                 digits_teacher_ckpt, capsys):
    config = osp.join(REPO, 'configs', 'wcord',
                      'wcord_neck_resnet20_resnet8_1xb64_digits.py')
    result = critic.main([
        config, '--max-samples', '40', '--cfg-options',
        f'test_dataloader.dataset.data_root={digits_root}',
        'test_dataloader.batch_size=20',
        f'model.teacher_ckpt={digits_teacher_ckpt}'
    ])
    assert set(result) == {'teacher features', 'e_T', 'e_S'}
    for values in result.values():
        assert 0.0 <= values['nn_accuracy'] <= 100.0
        assert -1.0 <= values['other_cosine'] <= 1.0
    assert '| e_T |' in capsys.readouterr().out


def test_a_config_without_wcord_is_refused(digits_root):
    config = osp.join(REPO, 'configs', 'baselines', 'kd',
                      'kd_logits_resnet20_resnet8_1xb64_digits.py')
    with pytest.raises(ValueError, match='one WCoRD loss'):
        critic.main([
            config, '--max-samples', '20', '--cfg-options',
            f'test_dataloader.dataset.data_root={digits_root}',
            'model.teacher_ckpt=None'
        ])
