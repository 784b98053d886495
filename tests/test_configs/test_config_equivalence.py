# Copyright (c) OpenMMLab. All rights reserved.
"""Every leaf config resolves to what it resolved to in the snapshot, except
for the changes listed in ``CHANGES``.

``tests/data/config_snapshot.json.gz`` holds what each of the 192 leaf
configs resolved to at commit fa16064 (written by ``config_snapshot.py``;
at that commit the 92 leaves of the first snapshot, taken before the
configs were recomposed from method recipes and pair files, still resolved
as before, with the renames that test listed). Compared key by key: the
built networks (parameter count and the name/shape of every parameter and
buffer), the classifiers' CE weights, the distiller's recorders,
connectors, losses and forward mappings, the teacher checkpoints, and
every top-level key except the config-language variables of the old
composition, which only fed other keys (``VARIABLES``; no leaf has them
now).

A recipe changed on purpose is one entry of ``CHANGES``: which leaves,
why, and how their snapshot entry changes. The test applies the entry to
the snapshot before comparing, so any other difference still fails.
"""
import copy
import fnmatch
import os.path as osp
from typing import Any, Callable, NamedTuple

import pytest
from config_snapshot import REPO, leaf_configs, load_snapshot, resolve

SNAPSHOT = osp.join(REPO, 'tests', 'data', 'config_snapshot.json.gz')

# The config-language variables of the composition the snapshot was taken
# from (pair facts and fragments, shared settings, the custom config's
# constants): the snapshot holds them, the leaves no longer do (none has a
# top-level key outside test_config_keys.ALLOWED), and they only fed the
# keys compared below.
VARIABLES = {
    'ad_head', 'ad_optim', 'ad_param_scheduler', 'beta', 'channels', 'conv6',
    'crop', 'exemplar_pipeline', 'hint', 'imagenet_vocab_loader', 'jigsaw',
    'jigsaw_pipeline', 'jigsaw_views', 'kd_term', 'last', 'num_classes',
    'num_negatives', 'num_train', 'num_words', 'pair', 'penultimate', 'pool',
    'pool_views', 'preact', 'quest', 'rotation_views', 'rotations',
    'ss_classifier_loss', 'sskd_weights', 'stages', 'stem', 'vocab_files',
    'vocabulary_hook'
}
# train_pipeline, OpenMMLab's convention variable, feeds train_dataloader
# (compared); in the SSKD task leaves it named the rotation views their
# loader did not use, and now names the views it does: there it must equal
# the loader's pipeline instead of the snapshot's variable.
PIPELINE_NAMED_AS_USED = ('configs/sskd/sskd_exemplar_*',
                          'configs/sskd/sskd_jigsaw_*')


def substitute(old: Any, new: Any) -> Callable[[dict], dict]:
    """Replace every value equal to ``old`` (anywhere in an entry) with
    ``new``."""

    def walk(value):
        if value == old:
            return copy.deepcopy(new)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk


def ignore(*path: str) -> Callable[[dict], dict]:
    """Leave ``path`` out of the comparison (its new value is checked by a
    test of its own, named in the change's reason)."""

    def drop(entry):
        entry = copy.deepcopy(entry)
        node = entry
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = IGNORED
        return entry

    return drop


IGNORED = object()


def put(value: Any, *path: str) -> Callable[[dict], dict]:
    """Set ``path`` (a new key, or a changed one) to ``value``."""

    def set_value(entry):
        entry = copy.deepcopy(entry)
        node = entry
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = copy.deepcopy(value)
        return entry

    return set_value


def replace(*path: str, value: Any) -> Callable[[dict], dict]:
    """Set ``path`` of an entry to ``value`` (a targeted edit, where
    :func:`substitute` would also hit equal values elsewhere)."""

    def edit(entry):
        entry = copy.deepcopy(entry)
        node = entry
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = copy.deepcopy(value)
        return entry

    return edit


class Change(NamedTuple):
    """An intended change of the leaves matching ``leaves`` (fnmatch
    patterns on repo-relative paths)."""
    reason: str
    leaves: tuple
    apply: Callable[[dict], dict]

    def matches(self, rel: str) -> bool:
        return any(fnmatch.fnmatch(rel, p) for p in self.leaves)


def one_adam_for_ad(entry: dict) -> dict:
    """The AD optimizer as one Adam: the model's optimizer with a
    parameter group per class adversary of the adversaries' settings, and
    one plateau schedule with the model's settings (the adversaries' were
    the same but for the monitor, which becomes ``child_monitor``)."""
    entry = copy.deepcopy(entry)
    keys = entry['keys']
    optim, sched = keys['optim_wrapper'], keys['param_scheduler']
    adv = optim['adversaries']
    assert adv['optimizer']['type'] == optim['model']['optimizer']['type']

    def rest(cfg):
        return {k: v for k, v in cfg.items() if k not in ('type', 'monitor')}

    assert rest(sched['adversaries']) == rest(sched['model'])
    keys['optim_wrapper'] = dict(
        optimizer=optim['model']['optimizer'],
        constructor='ModuleGroupsOptimWrapperConstructor',
        paramwise_cfg=dict(
            module_groups={
                module: dict(
                    rest(adv['optimizer']),
                    group_by_child=adv['group_by_child'])
                for module in adv['modules']
            }))
    keys['param_scheduler'] = dict(
        sched['model'],
        type=sched['adversaries']['type'],
        child_monitor=sched['adversaries']['monitor'])
    return entry


REFLECT_CROP = dict(
    type='RandomCrop', crop_size=32, padding=4, padding_mode='reflect')
ZERO_CROP = dict(type='RandomCrop', crop_size=32, padding=4)

CHANGES = [
    Change(
        '#19.4: every config keeps the random generators of each process in '
        'its checkpoints (RNGStateHook), so a resumed run repeats the '
        'uninterrupted one', ('configs/*', ),
        put(dict(type='mmrazor.RNGStateHook'), 'keys', 'default_hooks',
            'rng_state')),
    Change(
        '#18.2: RepDistiller (the teachers, the thirteen baselines, CRD, '
        'hence WCoRD) and SSKD pad CIFAR crops with zeros; only QuEST pads '
        'by reflection',
        ('configs/teachers/*', 'configs/baselines/*', 'configs/wcord/*',
         'configs/sskd/*'), substitute(REFLECT_CROP, ZERO_CROP)),
    Change(
        '#18.2: the MFD code resizes UTKFace to 256 x 256 before its crop, '
        'and UTKFace and CelebA test images to 176 x 176 (squashed, not by '
        'the short edge)',
        ('configs/mfd/*utkface.py', 'configs/mfd/*celeba.py'),
        lambda e: substitute(
            dict(type='ResizeEdge', scale=256, edge='short'),
            dict(type='Resize', scale=[256, 256]))(substitute(
                dict(type='ResizeEdge', scale=176, edge='short'),
                dict(type='Resize', scale=[176, 176]))(e))),
    Change(
        "#18.4: SSKD on ImageNet takes the supplement's ImageNet weights "
        '(Sec. 4.2: its CIFAR-100 set with ce 1.0), (ce, kd, tf, ss) = '
        "(1.0, 0.9, 3.0, 5.0), not tf 2.7 and ss 10.0 of the authors' code",
        ('configs/sskd/sskd_resnet34_resnet18_8xb32_in1k.py', ),
        lambda e: replace(
            'distiller', 'distill_losses', 'loss_tf', 'loss_weight',
            value=3.0)(replace(
                'distiller', 'distill_losses', 'loss_ss', 'loss_weight',
                value=5.0)(e))),
    Change(
        "#18.3: WCoRD's critic is constrained by the gradient penalty "
        "(lipschitz='gradient_penalty'): spectral norm does not bound an "
        'L2-normalised critic. The built model loses the spectral-norm '
        'parametrisation of the two embedding layers (its state keys and '
        'hash change), checked by test_wcord_configs.py::'
        'test_wcord_leaves_build_the_critic_without_spectral_norm',
        ('configs/wcord/*', ), lambda e: ignore('networks', 'model')
        (substitute('spectral_norm', 'gradient_penalty')(e))),
    Change(
        '#18.6: QuEST on the digits weighs its loss 8, the best of weights '
        '0.5 to 32 on the validation split (3 seeds)',
        ('configs/quest/quest_layer3_resnet20_resnet8_1xb64_digits.py', ),
        replace('distiller', 'distill_losses', 'loss_quest', 'loss_weight',
                value=8.0)),
    Change(
        '#18.6: MFD on DigitsS weighs its loss 0.5 (lambda 1), the best of '
        'weights 0.25 to 3 on the validation split (3 seeds)',
        ('configs/mfd/mfd_cifarnet_half_1xb128_digits_s.py', ),
        replace('distiller', 'distill_losses', 'loss_mfd', 'loss_weight',
                value=0.5)),
    Change(
        "#20.3: AD's class adversaries are parameter groups of the model's "
        'Adam (3e-4, no weight decay, one group per class adversary) '
        'instead of an Adam of their own, and one PerGroupReduceOnPlateauLR'
        " steps the model's group on fairness/loss and each adversary's on "
        'its own class loss: the same updates and LRs as the separate Adams'
        ' and plateaus (Adam is per parameter), checked by '
        'test_mfd_ad_configs.py::'
        'test_recipe_steps_as_the_mfd_codes_separate_adams_and_plateaus',
        ('configs/mfd/ad_*', ), one_adam_for_ad),
]


def expected(rel: str, before: dict) -> dict:
    """The snapshot entry of ``rel`` with every intended change applied."""
    for change in CHANGES:
        if change.matches(rel):
            before = change.apply(before)
    return before


def _same(after: Any, before: Any) -> bool:
    return before is IGNORED or after == before


BEFORE = load_snapshot(SNAPSHOT)


def test_no_leaf_was_lost():
    """Every config of the snapshot still exists (metafiles and READMEs
    link them by name); configs added later are covered by the smoke
    test."""
    assert set(BEFORE) <= set(leaf_configs())


def test_every_change_matches_a_leaf():
    """A change that matches no leaf is a typo in its pattern."""
    for change in CHANGES:
        assert any(change.matches(rel) for rel in BEFORE), change.reason


@pytest.mark.parametrize('rel', sorted(BEFORE))
def test_leaf_resolves_as_before(rel):
    before = expected(rel, BEFORE[rel])
    after = resolve(leaf_configs()[rel])
    for part in ('teacher_ckpt', 'teacher_ss_ckpt', 'model', 'distiller'):
        assert _same(after.get(part), before.get(part)), part
    for net in set(before['networks']) | set(after['networks']):
        assert _same(after['networks'].get(net),
                     before['networks'].get(net)), net
    keys = (set(before['keys']) | set(after['keys'])) - VARIABLES
    if any(fnmatch.fnmatch(rel, p) for p in PIPELINE_NAMED_AS_USED):
        keys.remove('train_pipeline')
        assert after['keys']['train_pipeline'] == \
            after['keys']['train_dataloader']['dataset']['pipeline']
    for key in sorted(keys):
        assert _same(after['keys'].get(key), before['keys'].get(key)), key
