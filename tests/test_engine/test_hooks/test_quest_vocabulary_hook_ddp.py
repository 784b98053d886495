# Copyright (c) OpenMMLab. All rights reserved.
"""QuESTVocabularyHook under 2-process DDP: one identical vocabulary."""
import os.path as osp

import pytest
import torch
from kd_test_utils import REPO, run_dist_tool, short_run_options

pytestmark = pytest.mark.slow

QUEST_DIGITS = osp.join(REPO, 'configs', 'quest',
                        'quest_layer3_resnet20_resnet8_1xb64_digits.py')


def test_every_rank_holds_the_same_vocabulary(digits_root, digits_teacher_ckpt,
                                              tmp_path):
    work = str(tmp_path / 'ddp')
    vocab = str(tmp_path / 'vocab_rank{rank}.pth')
    opts = short_run_options(
        digits_root, work, max_epochs=1, num_train=64, batch_size=16)
    log = run_dist_tool(
        'dist_train.sh', QUEST_DIGITS, '2', '--cfg-options',
        f'model.teacher_ckpt={digits_teacher_ckpt}',
        'model.distiller.connectors.quest_head.num_words=16',
        'model.distiller.distill_losses.loss_quest.num_words=16',
        'custom_hooks.0.batch_size=16',
        f'custom_hooks.0.save_vocab_file={vocab}', *opts,
        cwd=str(tmp_path))
    assert 'Distributed training: True' in log
    # 64 images, split over two ranks and gathered on rank 0
    assert 'from 4096 vectors' in log
    v0 = torch.load(vocab.format(rank=0), map_location='cpu')['vocab']
    v1 = torch.load(vocab.format(rank=1), map_location='cpu')['vocab']
    assert v0.shape == (16, 64)
    assert torch.equal(v0, v1)
    state = torch.load(
        osp.join(work, 'epoch_1.pth'), map_location='cpu')['state_dict']
    assert torch.equal(state['distiller.distill_losses.loss_quest.vocab'], v0)
