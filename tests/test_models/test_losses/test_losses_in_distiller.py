# Copyright (c) OpenMMLab. All rights reserved.
"""The CRD-benchmark losses through MMRazor's ``ConfigurableDistiller``.

Checks the config API (forward argument names, connectors) end to end on
toy networks: recorders capture the maps, connectors transform them, each
loss returns a finite scalar and the student (and trainable connectors)
receive gradients while the teacher does not.
"""
import pytest
import torch
import torch.nn as nn
from mmrazor.registry import MODELS


class _ToyNet(nn.Module):
    """stem -> layer1 -> layer2 -> gap, with configurable widths/strides."""

    def __init__(self, c1, c2, stride2):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Conv2d(3, c1, 3, 1, 1), nn.ReLU())
        self.layer2 = nn.Sequential(
            nn.Conv2d(c1, c2, 3, stride2, 1), nn.ReLU())
        self.gap = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return self.gap(self.layer2(self.layer1(x))).flatten(1)


def _rec(name, student=True, connector=None):
    info = dict(from_student=student, recorder=name)
    if connector is not None:
        info['connector'] = connector
    return info


# student: layer1 4 ch 8x8, layer2 8 ch 4x4; teacher: 4 ch 8x8, 8 ch 8x8
CASES = {
    'nst_loss':
    dict(
        loss=dict(type='NSTLoss', loss_weight=50.),
        mapping=dict(s_feature=_rec('l2'), t_feature=_rec('l2', False))),
    'fsp_loss':
    dict(
        loss=dict(type='FSPLoss'),
        mapping=dict(
            s_feature_a=_rec('l1'),
            s_feature_b=_rec('l2'),
            t_feature_a=_rec('l1', False),
            t_feature_b=_rec('l2', False))),
    'pkt_loss':
    dict(
        loss=dict(type='PKTLoss', loss_weight=30000.),
        mapping=dict(s_feature=_rec('gap'), t_feature=_rec('gap', False))),
    'sp_loss':
    dict(
        loss=dict(type='SPLoss', loss_weight=3000.),
        mapping=dict(s_feature=_rec('l2'), t_feature=_rec('l2', False))),
    'cc_loss':
    dict(
        loss=dict(type='CCLoss', loss_weight=0.02),
        connectors=dict(
            cc_s=dict(type='LinearEmbedConnector', in_channels=8),
            cc_t=dict(type='LinearEmbedConnector', in_channels=8)),
        mapping=dict(
            s_feature=_rec('gap', connector='cc_s'),
            t_feature=_rec('gap', False, connector='cc_t'))),
    'vid_loss':
    dict(
        loss=dict(type='VIDLoss', num_channels=8),
        connectors=dict(
            vid_s=dict(
                type='VIDRegressorConnector', in_channels=8, out_channels=8)),
        mapping=dict(
            s_feature=_rec('l2', connector='vid_s'),
            t_feature=_rec('l2', False))),
    # the critic's embeddings live in the loss; the queue memory needs no
    # data samples
    'wcord_loss':
    dict(
        loss=dict(
            type='WCoRDLoss',
            num_data=16,
            s_channels=8,
            t_channels=8,
            feat_dim=4,
            memory='queue',
            queue_size=8),
        mapping=dict(s_feats=_rec('gap'), t_feats=_rec('gap', False))),
}


@pytest.mark.parametrize('name', list(CASES))
def test_loss_in_configurable_distiller(name):
    case = CASES[name]
    recorders = dict(
        l1=dict(type='ModuleOutputs', source='layer1'),
        l2=dict(type='ModuleOutputs', source='layer2'),
        gap=dict(type='ModuleOutputs', source='gap'))
    distiller = MODELS.build(
        dict(
            type='ConfigurableDistiller',
            student_recorders=recorders,
            teacher_recorders=recorders,
            connectors=case.get('connectors'),
            distill_losses=dict(loss_kd=case['loss']),
            loss_forward_mappings=dict(loss_kd=case['mapping'])))
    torch.manual_seed(0)
    student, teacher = _ToyNet(4, 8, 2), _ToyNet(4, 8, 1)
    distiller.prepare_from_student(student)
    distiller.prepare_from_teacher(teacher)

    x = torch.randn(4, 3, 8, 8)
    with distiller.student_recorders, distiller.teacher_recorders:
        with torch.no_grad():
            teacher(x)
        student(x)
    losses = distiller.compute_distill_losses()
    loss = losses['loss_kd']
    assert loss.shape == torch.Size([]) and torch.isfinite(loss)
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in student.parameters())
    assert all(p.grad is None for p in teacher.parameters())
    for connector in distiller.connectors.values():
        assert all(p.grad.abs().sum() > 0 for p in connector.parameters())
    if name == 'vid_loss':
        alpha = distiller.distill_losses['loss_kd'].alpha
        assert alpha.grad.abs().sum() > 0
    if name == 'wcord_loss':
        wcord = distiller.distill_losses['loss_kd']
        for embed in (wcord.embed_s, wcord.embed_t):
            assert all(p.grad.abs().sum() > 0 for p in embed.parameters())
