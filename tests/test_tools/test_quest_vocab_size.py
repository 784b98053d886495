# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/quest_vocab_size.py: its no-distillation baseline is the
config's own student."""
import glob
import os.path as osp

import pytest
from kd_test_utils import REPO, STUDENT_DIGITS, load_tool
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from mmkd_plus.utils import network_config

tool = load_tool('analysis/quest_vocab_size.py')
QUEST = osp.join(REPO, 'configs', 'quest')
DIGITS = osp.join(QUEST, 'quest_layer3_resnet20_resnet8_1xb64_digits.py')
WRN = osp.join(QUEST, 'quest_block3_wrn_40_2_wrn_16_2_1xb64_cifar100.py')


def _num_params(model_cfg, scope):
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(model_cfg)
    return sum(p.numel() for p in model.parameters())


def test_digits_baseline_is_the_vanilla_resnet8():
    student = tool.student_config(Config.fromfile(DIGITS))
    vanilla = Config.fromfile(STUDENT_DIGITS)
    model = dict(student.model)
    assert model.pop('_scope_') == 'mmpretrain'
    assert model == vanilla.model
    assert not any('QuEST' in h['type'] for h in student.custom_hooks)
    assert student.val_cfg == {} and 'find_unused_parameters' not in student
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler',
                'train_cfg'):
        assert student[key] == vanilla[key], key


def test_baseline_follows_the_config_student():
    """A CIFAR-100 config gives its WRN-16-2 (0.70M parameters with the
    100-way head), not the digits resnet8."""
    cfg = Config.fromfile(WRN)
    student = tool.student_config(cfg)
    # the network of the config the leaf names (cfg_path), resolved
    assert 'cfg_path' in cfg.model.architecture
    assert student.model == network_config(cfg.model.architecture)
    assert 'teacher' not in student.model
    assert student.model.head.num_classes == 100
    params = _num_params(student.model, student.default_scope)
    assert params == _num_params(
        network_config(cfg.model.architecture), cfg.default_scope)
    assert 0.69e6 < params < 0.71e6
    # the distillation config itself is left as it was
    assert cfg.model.type.endswith('SingleTeacherDistill')


@pytest.mark.slow
def test_baseline_run(digits_root, tmp_path):
    args = tool.parse_args([
        '--data-root', digits_root, '--epochs', '1', '--num-train', '32',
        '--batch-size', '16', '--work-dir',
        str(tmp_path)
    ])
    top1 = tool.run_baseline(args)
    assert 0.0 <= top1 <= 100.0
    tool.write_outputs([dict(num_words=8, top1=50.0)], top1, str(tmp_path))
    table = open(osp.join(str(tmp_path), 'quest_vocab_size.md')).read()
    assert f'| no distillation | {top1:.2f} |' in table
    logs = glob.glob(osp.join(str(tmp_path), 'baseline', '*', '*.log'))
    log = open(logs[0]).read()
    assert 'Epoch(train)' in log and 'distill.' not in log  # no teacher
