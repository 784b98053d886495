# Copyright (c) OpenMMLab. All rights reserved.
"""Every QuEST config builds and runs one loss-mode forward pass.

With the teacher checkpoint unset and a random vocabulary of the right
shape installed in each QuESTLoss, a forward pass on inputs of the
config's resolution gives finite QuEST losses; the connector and the loss
agree on K, and the student map matches the (pooled) teacher map in size.
The tools built around QuEST (tools/analysis/quest_tau.py and
quest_vocab_size.py) run on the digits in a tiny setting.
"""
import glob
import os.path as osp

import pytest
import torch
from kd_test_utils import REPO, load_tool
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

QUEST_CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', 'quest', '*.py'))
    if not osp.basename(p).startswith('_base_'))
DIGITS_QUEST = osp.join(REPO, 'configs', 'quest',
                        'quest_layer3_resnet20_resnet8_1xb64_digits.py')


def _rel(path: str) -> str:
    return osp.relpath(path, REPO)


def _input_size(path: str) -> int:
    name = osp.basename(path)
    return 224 if ('_in1k' in name or '_custom' in name) else 32


def test_quest_configs_cover_table1():
    """13 CIFAR-100 pairs of the supplement's Table 1, plus the others."""
    names = [osp.basename(p) for p in QUEST_CONFIGS]
    assert sum(n.endswith('_cifar100.py') for n in names) == 13
    for name in ('quest_block3_wrn_40_1_wrn_16_1_1xb128_cifar10.py',
                 'quest_layer4_resnet34_resnet18_8xb32_in1k.py',
                 'quest_layer4_resnet50_mobilenetv1_8xb32_in1k.py',
                 'quest_layer3+4_resnet34_resnet18_1xb128_custom.py'):
        assert name in names


@pytest.mark.parametrize('path', QUEST_CONFIGS, ids=_rel)
def test_quest_config_forward(path):
    from mmpretrain.structures import DataSample
    cfg = Config.fromfile(path)
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    distiller = model.distiller

    losses = {
        name: loss
        for name, loss in distiller.distill_losses.items()
        if type(loss).__name__ == 'QuESTLoss'
    }
    assert losses, 'a QuEST config needs a QuESTLoss'
    hooks = [
        h for h in cfg.get('custom_hooks', [])
        if h['type'] == 'QuESTVocabularyHook'
    ]
    assert sorted(h['loss_name'] for h in hooks) == sorted(losses)
    generator = torch.Generator().manual_seed(0)
    for loss in losses.values():
        loss.set_vocabulary(
            torch.rand(
                loss.num_words, loss.feat_channels, generator=generator))

    size = _input_size(path)
    batch = 1 if size > 32 else 2
    num_classes = model.architecture.head.num_classes
    inputs = torch.randn(batch, 3, size, size, generator=generator)
    samples = [
        DataSample().set_gt_label(i % num_classes) for i in range(batch)
    ]
    with torch.no_grad():
        out = model(inputs, samples, mode='loss')
    for name, loss in losses.items():
        key = f'distill.{name}'
        assert key in out, sorted(out)
        assert torch.isfinite(out[key]).all(), (key, out[key])

        mapping = distiller.loss_forward_mappings[name]
        s_item, t_item = mapping['s_logits'], mapping['t_feature']
        connector = distiller.connectors[s_item['connector']]
        assert connector.num_words == loss.num_words
        s_map = distiller.student_recorders.get_recorder(
            s_item['recorder']).data_buffer[0]
        t_map = distiller.teacher_recorders.get_recorder(
            t_item['recorder']).data_buffer[0]
        assert s_map.shape[1] == connector.in_channels
        assert t_map.shape[1] == loss.feat_channels
        pooled = loss.pool_teacher(t_map)
        assert s_map.shape[-2:] == pooled.shape[-2:], (s_map.shape,
                                                       pooled.shape)


# ----------------------------------------------------------------------
# The tools, on the digits
# ----------------------------------------------------------------------


def test_quest_tau_tool(digits_root, digits_teacher_ckpt, tmp_path, capsys):
    tool = load_tool('analysis/quest_tau.py')
    cfg = Config.fromfile(DIGITS_QUEST)
    k = cfg.model.distiller.distill_losses.loss_quest.num_words
    vocab_file = str(tmp_path / 'vocab.pth')
    torch.save(dict(vocab=torch.rand(k, 64)), vocab_file)
    out_json = str(tmp_path / 'tau.json')
    result = tool.main([
        DIGITS_QUEST, digits_teacher_ckpt, '--vocab-file', vocab_file,
        '--num-images', '32', '--taus', '0.01', '0.2', '1.0', '--out',
        out_json, '--cfg-options',
        f'train_dataloader.dataset.data_root={digits_root}',
        f'val_dataloader.dataset.data_root={digits_root}',
        f'test_dataloader.dataset.data_root={digits_root}',
        'train_dataloader.num_workers=0'
    ])
    text = capsys.readouterr().out
    assert 'closest-word probability' in text
    assert osp.isfile(out_json)
    probs = [row['prob'] for row in result['table']]
    assert len(probs) == 3
    # decreasing in tau, within (1/K, 1]
    assert probs[0] >= probs[1] >= probs[2]
    assert all(1.0 / k <= p <= 1.0 + 1e-6 for p in probs)
    assert result['tau_for_target'] > 0
    assert result['num_vectors'] == 32 * 64


def test_quest_tau_tool_builds_vocab(digits_root, digits_teacher_ckpt):
    """Without --vocab-file the tool clusters with the hook's code."""
    tool = load_tool('analysis/quest_tau.py')
    result = tool.main([
        DIGITS_QUEST, digits_teacher_ckpt, '--num-images', '32', '--num-words',
        '16', '--taus', '0.2', '--cfg-options',
        f'train_dataloader.dataset.data_root={digits_root}',
        f'val_dataloader.dataset.data_root={digits_root}',
        f'test_dataloader.dataset.data_root={digits_root}',
        'train_dataloader.num_workers=0'
    ])
    assert result['num_words'] == 16
    assert 0 < result['table'][0]['prob'] <= 1.0 + 1e-6


@pytest.mark.slow
def test_quest_vocab_size_tool(digits_root, digits_teacher_ckpt, tmp_path):
    tool = load_tool('analysis/quest_vocab_size.py')
    out_dir = str(tmp_path / 'vocab_size')
    rows = tool.main([
        '--teacher-ckpt', digits_teacher_ckpt, '--data-root', digits_root,
        '--num-words', '8', '16', '--epochs', '1', '--num-train', '64',
        '--num-images', '32', '--batch-size', '16', '--work-dir', out_dir
    ])
    assert [r['num_words'] for r in rows] == [8, 16]
    for row in rows:
        assert 0.0 <= row['top1'] <= 100.0
    assert osp.isfile(osp.join(out_dir, 'quest_vocab_size.md'))
    assert osp.isfile(osp.join(out_dir, 'quest_vocab_size.png'))


def test_quest_retrieval_tool(digits_root, tmp_path):
    """The retrieval tool runs on a (random) QuEST checkpoint."""
    tool = load_tool('analysis/quest_retrieval.py')
    cfg = Config.fromfile(DIGITS_QUEST)
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    loss = model.distiller.distill_losses['loss_quest']
    loss.set_vocabulary(torch.rand(loss.num_words, loss.feat_channels))
    ckpt = str(tmp_path / 'quest.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    show_dir = str(tmp_path / 'show')
    result = tool.main([
        DIGITS_QUEST, ckpt, '--num-queries', '3', '--topk', '4', '--show-dir',
        show_dir, '--cfg-options',
        f'test_dataloader.dataset.data_root={digits_root}'
    ])
    assert result['num_queries'] == 3 and result['topk'] == 4
    assert 0.0 <= result['self_at_1'] <= 1.0
    assert 0.0 <= result['same_label_precision'] <= 1.0
    for row in result['queries']:
        assert len(row['retrieved']) == 4
    assert osp.isfile(osp.join(show_dir, 'quest_retrieval.png'))
