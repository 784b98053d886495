# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/list_layers.py: the names a recorder can take."""
import re

import pytest
from kd_test_utils import KD_DIGITS, STUDENT_DIGITS, load_tool

list_layers = load_tool('analysis/list_layers.py')


def _section(text, title):
    block = text.split(f'{title} (')[1]
    return block.split('\n\n')[0]


def test_student_and_teacher_of_a_distillation_config():
    # the recorder is wrong: the names are listed anyway (that is when the
    # error message sends the user here)
    text = list_layers.main([
        KD_DIGITS, '--cfg-options',
        'model.distiller.student_recorders.fc.source=head.fcc'
    ])
    student, teacher = _section(text, 'student'), _section(text, 'teacher')
    assert student.startswith('model.architecture, ImageClassifier)')
    assert 'student_recorders.<name>.source' in student
    assert teacher.startswith('model.teacher, ImageClassifier)')
    # resnet8 has one block per stage, resnet20 three
    assert 'backbone.layer3.0 ' in student
    assert 'backbone.layer3.1 ' not in student
    assert 'backbone.layer3.2 ' in teacher
    # head.fc: 64 * 10 + 10 parameters, 10 logits for one 32x32 image
    fc = re.search(r'^  head\.fc +Linear +(\S+) +(.*)$', student, re.M)
    assert fc.group(1) == '650' and fc.group(2) == '(1, 10)'
    layer2 = re.search(r'^  backbone\.layer2 .*$', teacher, re.M).group(0)
    assert layer2.endswith('(1, 32, 16, 16)')


def test_plain_config_params_and_grep():
    text = list_layers.main([STUDENT_DIGITS, '--params', '--grep', 'head'])
    lines = [ln.split() for ln in text.splitlines() if ln.startswith('  ')]
    assert [ln[0] for ln in lines] == ['head.fc.weight', 'head.fc.bias']
    assert text.startswith('model (model, ImageClassifier)')


def test_misspelt_network_type():
    with pytest.raises(ValueError,
                       match=r"model\.teacher\.backbone\.type='CIFARResNt'"
                       r".*'CIFARResNet'"):
        list_layers.main([
            KD_DIGITS, '--cfg-options',
            'model.teacher.backbone.type=CIFARResNt'
        ])
