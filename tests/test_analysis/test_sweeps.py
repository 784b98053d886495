# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus.analysis.sweeps: --sweep grids, their points and labels, and
the check that every swept key exists."""
import os.path as osp

import pytest
from kd_test_utils import DEMO_METHODS, KD_WEIGHT, REPO

import mmkd_plus.analysis as analysis


def test_parse_sweep_grid_and_labels():
    sweep = analysis.parse_sweep(
        [f'{KD_WEIGHT}=0.5,0.9', 'model.x.tau=[1,2],[3,4]', 'a.name=x,y'])
    assert sweep == {
        KD_WEIGHT: [0.5, 0.9],
        'model.x.tau': [[1, 2], [3, 4]],
        'a.name': ['x', 'y']
    }
    points = analysis.grid_points(sweep)
    # the cross product, the first key slowest
    assert len(points) == 8
    assert points[0] == {KD_WEIGHT: 0.5, 'model.x.tau': [1, 2], 'a.name': 'x'}
    assert points[1]['a.name'] == 'y' and points[4][KD_WEIGHT] == 0.9
    assert analysis.point_label(points[0]) == \
        'loss_weight=0.5, tau=[1, 2], name=x'
    # two keys sharing their last part are shown whole
    assert analysis.point_label({'a.w': 1, 'b.w': 2}) == 'a.w=1, b.w=2'
    assert analysis.grid_points({}) == [{}]
    dirs = {analysis.point_dir(i, p) for i, p in enumerate(points)}
    assert len(dirs) == 8 and all('/' not in d for d in dirs)
    for bad in ('novalue', 'k=', '=1,2', 'k=1,,2'):
        with pytest.raises(ValueError, match='expected KEY=V1,V2'):
            analysis.parse_sweep([bad])
    with pytest.raises(ValueError, match='given twice'):
        analysis.parse_sweep(['k=1', 'k=2'])


QUEST_LAYER = ('model.distiller.student_recorders.quest.source+'
               'model.distiller.teacher_recorders.quest.source+'
               'model.distiller.connectors.quest_head.in_channels+'
               'model.distiller.distill_losses.loss_quest.feat_channels')


def test_joined_sweep_keys_change_together():
    """The layer a method distils and its channels: one axis."""
    sweep = analysis.parse_sweep([
        f'{QUEST_LAYER}=(backbone.layer2,backbone.layer2,32,32),'
        '(backbone.layer3,backbone.layer3,64,64)',
        'model.distiller.distill_losses.loss_quest.loss_weight=1,2'
    ])
    assert len(analysis.sweep_keys(sweep)) == 5
    points = analysis.grid_points(sweep)
    assert len(points) == 4  # 2 layers x 2 weights, not 2^4 x 2
    first = points[0]
    assert first['model.distiller.student_recorders.quest.source'] == \
        first['model.distiller.teacher_recorders.quest.source'] == \
        'backbone.layer2'
    assert first['model.distiller.connectors.quest_head.in_channels'] == 32
    assert points[2]['model.distiller.distill_losses.loss_quest.'
                     'feat_channels'] == 64
    # a name=value repeated by joined keys is shown once
    assert analysis.point_label(first) == (
        'source=backbone.layer2, in_channels=32, feat_channels=32, '
        'loss_weight=1')
    labels = {analysis.point_label(p) for p in points}
    assert len(labels) == 4
    quest = osp.join(REPO, DEMO_METHODS['quest'])
    analysis.check_sweep_keys(sweep, [quest])
    cfg = analysis.build_cfg(
        quest, '/tmp/unused', 'data/digits', seed=0, options=first)
    assert cfg.model.distiller.teacher_recorders.quest.source == \
        'backbone.layer2'
    assert cfg.model.distiller.distill_losses.loss_quest.feat_channels == 32
    with pytest.raises(ValueError, match='each value is a tuple of 4'):
        analysis.parse_sweep([f'{QUEST_LAYER}=(a,a,32),(b,b,64,64)'])
    with pytest.raises(ValueError, match='given twice'):
        analysis.parse_sweep(['a.b+c.d=(1,2)', 'c.d=3'])


def test_sweep_key_must_exist_in_every_last_stage():
    kd = osp.join(REPO, DEMO_METHODS['kd'])
    wcord = osp.join(REPO, DEMO_METHODS['wcord'])
    analysis.check_sweep_keys({KD_WEIGHT: [0.5]}, [kd])
    with pytest.raises(ValueError, match='wcord_neck.*has no such key'):
        analysis.check_sweep_keys({KD_WEIGHT: [0.5]}, [kd, wcord])
    with pytest.raises(ValueError, match='loss_kdd'):
        analysis.check_sweep_keys({KD_WEIGHT.replace('kd.', 'kdd.'): [1]},
                                  [kd])
    # list items by index
    quest = osp.join(REPO, DEMO_METHODS['quest'])
    analysis.check_sweep_keys({'custom_hooks.0.niter': [5]}, [quest])
