# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis/quest_vocab_benchmark.py on a few digits."""
import os.path as osp

import pytest
from kd_test_utils import REPO, load_tool

DIGITS = osp.join(REPO, 'configs', 'quest',
                  'quest_layer3_resnet20_resnet8_1xb64_digits.py')


def test_interleaved_hook_and_reference_runs(digits_root, capsys):
    tool = load_tool('analysis/quest_vocab_benchmark.py')
    result = tool.main([
        DIGITS, '--num-images', '16', '--repeats', '2', '--cfg-options',
        f'train_dataloader.dataset.data_root={digits_root}',
        f'val_dataloader.dataset.data_root={digits_root}',
        f'test_dataloader.dataset.data_root={digits_root}',
        'train_dataloader.num_workers=0',
        'model.distiller.distill_losses.loss_quest.num_words=16',
        'model.distiller.connectors.quest_head.num_words=16'
    ])
    out = capsys.readouterr().out
    # 16 images x 8 x 8 positions, all kept (budget 256 x 16 words)
    assert '16 images, 1024 vectors of 64 channels, k-means of 1024 ' \
        'into K=16' in out
    assert len(result['rows']) == 2
    for r, (hook, teacher, km) in enumerate(result['rows']):
        for i, kind in enumerate(('wall', 'cpu')):
            assert result['ratios'][kind][r] == pytest.approx(
                hook[i] / (teacher[i] + km[i]))
    table = [line for line in out.splitlines() if line.startswith('|')]
    assert len(table) == 2 + 2  # header, rule and two repeats
    assert 'median wall ratio' in out and 'median cpu ratio' in out
