# Copyright (c) OpenMMLab. All rights reserved.
"""The helpers behind the messages for misspelt names (#13, #19).

End to end, through ``tools/train.py``, these messages are tested in
``tests/test_tools/test_unknown_arguments.py`` and, for a distillation's
networks, in ``test_checked_single_teacher_distill.py``.
"""
import pytest
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from mmkd_plus.registry import HOOKS, MODELS
from mmkd_plus.utils import (accepted_arguments, call_explained,
                             explain_unknown_type, find_type_keys,
                             registered_names)


def test_registered_names_as_a_config_in_the_scope_writes_them():
    # MMRazor's scope: its own and MMEngine's names plain, mmpretrain's
    # (a sibling scope) with their scope, as a config there writes them
    names = registered_names(MODELS)
    assert MODELS.scope == 'mmrazor'
    assert names['SingleTeacherDistill'] == 'SingleTeacherDistill'
    assert names['CIFARResNet'] == 'mmpretrain.CIFARResNet'
    # from mmpretrain's scope the same family reads the other way round
    names = registered_names(MMPRETRAIN_MODELS)
    assert names['CIFARResNet'] == 'CIFARResNet'
    assert names['SingleTeacherDistill'] == 'mmrazor.SingleTeacherDistill'
    assert registered_names(
        MODELS, scope='mmpretrain')['CIFARResNet'] == 'CIFARResNet'


def test_find_type_keys_walks_dicts_and_lists():
    cfg = dict(
        model=dict(backbone=dict(type='mmpretrain.CIFARResNet', depth=8)),
        pipeline=[dict(type='RandomCrop'),
                  dict(type='CIFARResNet')],
        other=dict(type='CIFARNet'))
    assert list(find_type_keys(cfg, 'CIFARResNet')) == [
        'model.backbone.type', 'pipeline.1.type'
    ]
    assert list(find_type_keys(cfg['model'], 'CIFARResNet',
                               'model')) == ['model.backbone.type']
    assert list(find_type_keys(cfg, 'ResNet')) == []


def test_unknown_type_names_the_key_and_the_closest_names():
    cfg = dict(backbone=dict(type='CIFARResNt', depth=8))
    with pytest.raises(KeyError) as err:
        MODELS.build(cfg['backbone'])
    explained = explain_unknown_type(err.value, cfg, prefix='model')
    assert isinstance(explained, ValueError)
    msg = str(explained)
    assert msg.startswith("model.backbone.type='CIFARResNt': 'CIFARResNt' is "
                          'not a registered model type. Closest registered '
                          "names: ['mmpretrain.CIFARResNet', ")
    assert msg.endswith("(custom_imports = dict(imports=['mmkd_plus', "
                        "...])).")


def test_unknown_type_far_from_every_name():
    cfg = dict(type='Zzqxwv')
    with pytest.raises(KeyError) as err:
        HOOKS.build(cfg)
    msg = str(explain_unknown_type(err.value, cfg))
    assert msg.startswith("type='Zzqxwv': 'Zzqxwv' is not a registered hook "
                          'type. No registered name is close to it.')


def test_other_errors_are_not_unknown_types():
    assert explain_unknown_type(KeyError('depth'), dict(type='A')) is None
    assert explain_unknown_type(
        ValueError('X is not in the model registry'), dict(type='X')) is None


def test_every_dict_with_the_argument_is_named():
    cfg = dict(
        a=dict(type='mmrazor.RNGStateHook', seed=1),
        b=[dict(type='RNGStateHook', seed=2)],
        c=dict(type='CheckpointHook', seed=3),  # another class
        d=dict(type='RNGStateHook'))  # no such argument
    with pytest.raises(TypeError) as err:
        call_explained(HOOKS.build, cfg, cfg['a'], key_prefix='hooks')
    assert str(err.value).startswith('hooks.a.seed, hooks.b.0.seed: '
                                     'RNGStateHook ')


def test_argument_from_code_is_named_as_such():
    # the keyword comes from default_args, in no dict of the config
    cfg = dict(type='RNGStateHook')
    with pytest.raises(TypeError,
                       match=r"^RNGStateHook \(.*\) takes no argument "
                       r"'seed', and no dict of the config with its type "
                       r'holds it \(it comes from code'):
        call_explained(HOOKS.build, cfg, cfg, default_args=dict(seed=1))


def test_other_type_errors_are_left_alone():

    def f(x):
        return x

    with pytest.raises(TypeError, match='unexpected keyword argument'):
        call_explained(lambda: f(y=1), dict(a=dict(type='f', y=1)))


def test_accepted_arguments_follow_kwargs():

    class Base:

        def __init__(self, a, b=1):
            pass

    class Child(Base):

        def __init__(self, c, **kwargs):
            super().__init__(**kwargs)

    assert accepted_arguments(Child) == ['c', 'a', 'b']
    assert accepted_arguments(lambda x, *, y: 0) == ['x', 'y']
