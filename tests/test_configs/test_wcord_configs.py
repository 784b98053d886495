# Copyright (c) OpenMMLab. All rights reserved.
"""Every shipped WCoRD config constrains its critic by the gradient penalty
(issue #18.3) and builds the critic's embeddings as plain linear layers:
the spectral-norm parametrisation of the snapshot, and only it, is gone."""
import copy
import glob
import hashlib
import os.path as osp

import pytest
from config_snapshot import REPO, load_snapshot, network_facts
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from torch.nn.utils import parametrize

WCORD_LEAVES = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', 'wcord', '*.py'))
    if not osp.basename(p).startswith('_base_'))
SNAPSHOT = load_snapshot(
    osp.join(REPO, 'tests', 'data', 'config_snapshot.json.gz'))
CRITIC = 'distiller.distill_losses.loss_wcord.'


def _row(name: str, shape: tuple) -> str:
    """A state row as ``config_snapshot.network_facts`` writes it."""
    return f'{name}:{tuple(shape)}'


def test_every_wcord_config_is_covered():
    """The seven CIFAR-100 pairs (WCoRD and WCoRD+KD each), ImageNet and
    the digits (WCoRD and WCoRD+KD): 17 leaves, all in the snapshot."""
    assert len(WCORD_LEAVES) == 2 * 7 + 1 + 2
    for path in WCORD_LEAVES:
        assert osp.relpath(path, REPO) in SNAPSHOT, path


@pytest.mark.parametrize('path', WCORD_LEAVES, ids=osp.basename)
def test_wcord_leaves_build_the_critic_without_spectral_norm(path):
    cfg = Config.fromfile(path)
    assert cfg.model.distiller.distill_losses.loss_wcord.lipschitz == \
        'gradient_penalty'
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg['teacher_ckpt'] = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    loss = model.distiller.distill_losses['loss_wcord']
    assert loss.lipschitz == 'gradient_penalty' and loss.gp_weight == 10.0
    dim, widths = loss.feat_dim, dict(s=loss.s_channels, t=loss.t_channels)

    # the critic: two plain linear layers, no parametrisation, no buffers
    state = model.state_dict()
    critic = {
        k[len(CRITIC):]: tuple(v.shape)
        for k, v in state.items() if k.startswith(CRITIC + 'embed_')
    }
    assert critic == {
        f'embed_{side}.linear.{name}': shape
        for side, width in widths.items()
        for name, shape in (('weight', (dim, width)), ('bias', (dim, )))
    }
    for embed in (loss.embed_s, loss.embed_t):
        assert not parametrize.is_parametrized(embed.linear)
        assert list(embed.buffers()) == []
    assert not any('parametrizations' in k or k.endswith(('._u', '._v'))
                   for k in state)

    # the snapshot's model is this one with the spectral-norm rows
    # (weight.original, power-iteration vectors u and v) instead of
    # weight: the same parameters, four buffers more, nothing else
    before = SNAPSHOT[osp.relpath(path, REPO)]['networks']['model']
    rows = [
        _row(k, v.shape) for k, v in state.items()
        if not k.endswith('.linear.weight') or not k.startswith(CRITIC)
    ]
    for side, width in widths.items():
        sn = f'{CRITIC}embed_{side}.linear.parametrizations.weight.'
        rows += [
            _row(sn + 'original', (dim, width)),
            _row(sn + '0._u', (dim, )),
            _row(sn + '0._v', (width, ))
        ]
    assert hashlib.sha1('\n'.join(
        sorted(rows)).encode()).hexdigest() == before['state']
    facts = network_facts(model)
    assert facts['num_state'] == before['num_state'] - 4
    assert facts['state'] != before['state']
    assert facts['params'] == before['params']
    assert facts['type'] == before['type']
