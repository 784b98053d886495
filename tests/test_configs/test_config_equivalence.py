# Copyright (c) OpenMMLab. All rights reserved.
"""Every leaf config resolves to what it resolved to before the configs
were recomposed from method recipes and pair files.

``tests/data/config_snapshot.json`` was written by
``config_snapshot.py`` from the configs as they were before (each leaf a
full copy). Compared key by key: the built networks (parameter count and
the name/shape of every parameter and buffer), the classifiers' CE
weights, the distiller's recorders, connectors, losses and forward
mappings, the teacher checkpoint, and every top-level key except the
config-language variables that only feed other keys.

Changed on purpose since, and so left out of the snapshot:
``quest_layer4_resnet50_mobilenetv2_8xb32_in1k.py`` became
``quest_layer4_resnet50_mobilenetv1_8xb32_in1k.py`` (the authors' ImageNet
student is MobileNetV1); the transfer-learning config
``quest_layer3+4_resnet34_resnet18_1xb128_custom.py`` loads the ImageNet
vocabularies and drops Nesterov (the authors' transfer recipe): its
snapshot entry was rewritten for those two keys (``custom_hooks``,
``optim_wrapper``).
"""
import json
import os.path as osp

import pytest
from config_snapshot import REPO, leaf_configs, resolve

SNAPSHOT = osp.join(REPO, 'tests', 'data', 'config_snapshot.json')

# Variables of the configs' own language (pair facts and fragments before
# and after the change) that only feed the keys compared below.
VARIABLES = {
    # before
    'layers', 'teacher_ckpt', 'feat', 'num_words', 'tau', 'num_data',
    'num_negatives', 's_idx', 't_idx', 'beta',
    # after: pair files and recipes
    'pair', 'quest', 'stages', 'hint', 'last', 'stem', 'preact', 'channels',
    'vocabulary_hook', 'num_train', 'kd_term', 'vocab_files',
    'imagenet_vocab_loader'
}

# Recorders renamed on purpose: FSP's stem and stages now come from the pair
# files' `stem` and `stages` fragments (s0..s3) instead of f0..f3.
RECORDER_RENAMES = {
    'baselines/fsp/': {'f0': 's0', 'f1': 's1', 'f2': 's2', 'f3': 's3'},
}


def _rename_recorders(distiller: dict, renames: dict) -> dict:
    out = json.loads(json.dumps(distiller))
    for side in ('student_recorders', 'teacher_recorders'):
        out[side] = {renames.get(k, k): v for k, v in out[side].items()}
    for mapping in out['loss_forward_mappings'].values():
        for arg in mapping.values():
            arg['recorder'] = renames.get(arg['recorder'], arg['recorder'])
    return out


with open(SNAPSHOT) as f:
    BEFORE = json.load(f)


def test_no_leaf_was_lost():
    """Every config of the snapshot still exists (metafiles and READMEs
    link them by name); configs added later are covered by the smoke
    test."""
    assert set(BEFORE) <= set(leaf_configs())


@pytest.mark.parametrize('rel', sorted(BEFORE))
def test_leaf_resolves_as_before(rel):
    before = BEFORE[rel]
    after = resolve(leaf_configs()[rel])
    for prefix, renames in RECORDER_RENAMES.items():
        if prefix in rel:
            before = dict(
                before,
                distiller=_rename_recorders(before['distiller'], renames))
    assert after['networks'] == before['networks']
    assert after['teacher_ckpt'] == before['teacher_ckpt']
    assert after['model'] == before['model']
    assert after['distiller'] == before['distiller']
    keys = (set(before['keys']) | set(after['keys'])) - VARIABLES
    for key in sorted(keys):
        assert after['keys'].get(key) == before['keys'].get(key), key
