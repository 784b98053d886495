# Copyright (c) OpenMMLab. All rights reserved.
"""The CIFAR model zoo: teacher configs, pair files, metafile and README.

- every ``configs/teachers/*_cifar100.py`` parses, builds, gives 100 logits
  and trains one iteration on the digits;
- every ``configs/_base_/pairs/*.py`` builds a distillation model whose
  ``layers`` all exist and are on the forward path, with QuEST maps whose
  sizes match after the teacher's ``downscale`` pooling;
- the pair list is the one of the papers' tables;
- (slow) a vanilla student learns the digits well above chance.

The tests run torch on one thread (``conftest.py``): on a shared 2-core
machine that is several times faster for these small passes.
"""
import copy
import glob
import importlib.util
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
import yaml
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS as RAZOR_MODELS
from zoo_test_utils import (MODELS_DIR, PAIRS_DIR, REPO, TEACHERS_DIR,
                            point_digits_config_at, split_pair_name,
                            zoo_models)

TEACHER_CONFIGS = sorted(glob.glob(osp.join(TEACHERS_DIR, '*_cifar100.py')))
PAIR_FILES = sorted(glob.glob(osp.join(PAIRS_DIR, '*.py')))
CIFAR100_PAIRS = [p for p in PAIR_FILES if p.endswith('_cifar100.py')]
METAFILE = osp.join(TEACHERS_DIR, 'metafile.yml')
README = osp.join(TEACHERS_DIR, 'README.md')

# QuEST supplement Table 1 (13 pairs); the CRD/WCoRD table of the WCoRD
# supplement has the first 7, the SSKD supplement's linear probe the last.
PAPER_PAIRS = {
    ('wrn_40_2', 'wrn_16_2'),
    ('wrn_40_2', 'wrn_40_1'),
    ('resnet56', 'resnet20'),
    ('resnet110', 'resnet20'),
    ('resnet110', 'resnet32'),
    ('resnet32x4', 'resnet8x4'),
    ('vgg13', 'vgg8'),
    ('vgg13', 'mobilenetv2'),
    ('resnet50', 'mobilenetv2'),
    ('resnet50', 'vgg8'),
    ('resnet32x4', 'shufflenetv1'),
    ('resnet32x4', 'shufflenetv2'),
    ('wrn_40_2', 'shufflenetv1'),
}
# the QuEST supplement's Table 1 compression, 1 - params(S) / params(T), in
# %: our networks must have the papers' parameter counts
PAPER_COMPRESSION = {
    ('wrn_40_2', 'wrn_16_2'): 68.81,
    ('wrn_40_2', 'wrn_40_1'): 74.73,
    ('resnet56', 'resnet20'): 67.70,
    ('resnet110', 'resnet20'): 83.97,
    ('resnet110', 'resnet32'): 72.78,
    ('resnet32x4', 'resnet8x4'): 83.41,
    ('vgg13', 'vgg8'): 58.10,
    ('vgg13', 'mobilenetv2'): 91.41,
    ('resnet50', 'mobilenetv2'): 96.57,
    ('resnet50', 'vgg8'): 83.27,
    ('resnet32x4', 'shufflenetv1'): 87.23,
    ('resnet32x4', 'shufflenetv2'): 81.77,
    ('wrn_40_2', 'shufflenetv1'): 57.91,
}
# RepDistiller/QuEST/SSKD: these students (and their vanilla runs) use 0.01
LOW_LR = ('mobilenetv2', 'shufflenetv1', 'shufflenetv2')


def _ids(paths):
    return [osp.basename(p)[:-len('.py')] for p in paths]


def _net_name(teacher_config: str) -> str:
    return osp.basename(teacher_config)[:-len('_1xb64_cifar100.py')]


def _without_scope(cfg) -> dict:
    d = copy.deepcopy(cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg)
    d.pop('_scope_', None)
    return d


@pytest.fixture(scope='module')
def metafile_models():
    with open(METAFILE) as f:
        meta = yaml.safe_load(f)
    return {m['Config']: m for m in meta['Models']}


# ---------------------------------------------------------------------------
# teacher (vanilla) configs
# ---------------------------------------------------------------------------
def test_every_zoo_model_has_a_teacher_config():
    names = zoo_models()
    assert len(names) >= 22
    missing = [
        n for n in names
        if not osp.isfile(osp.join(TEACHERS_DIR, f'{n}_1xb64_cifar100.py'))
    ]
    assert not missing


@pytest.mark.parametrize('config', TEACHER_CONFIGS, ids=_ids(TEACHER_CONFIGS))
def test_teacher_config_builds(config, metafile_models):
    cfg = Config.fromfile(config)
    assert cfg.model.head.num_classes == 100
    assert cfg.train_cfg.max_epochs == 240
    assert cfg.train_dataloader.batch_size == 64
    lr = 0.01 if _net_name(config) in LOW_LR else 0.05
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(lr)

    model = PRETRAIN_MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        logits = model(torch.rand(2, 3, 32, 32), mode='tensor')
    assert logits.shape == (2, 100)

    # the metafile records this exact parameter count
    rel = osp.relpath(config, REPO)
    assert rel in metafile_models, f'{rel} is not in {METAFILE}'
    params = sum(p.numel() for p in model.parameters())
    assert metafile_models[rel]['Metadata']['Parameters'] == params


@pytest.mark.parametrize('config', TEACHER_CONFIGS, ids=_ids(TEACHER_CONFIGS))
def test_teacher_config_trains_one_iteration(config, digits_cfg):
    cfg = digits_cfg(config, batch_size=2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0


# ---------------------------------------------------------------------------
# pair files
# ---------------------------------------------------------------------------
def test_pairs_are_the_papers_pairs():
    found = set()
    for path in CIFAR100_PAIRS:
        parts = split_pair_name(path)
        assert parts is not None, f'{path}: not <teacher>_<student>_cifar100'
        found.add((parts['teacher'], parts['student']))
    assert found == PAPER_PAIRS == set(PAPER_COMPRESSION)


FRAGMENTS = ('quest', 'stages', 'hint', 'last', 'stem', 'preact',
             'penultimate')


def _recorders(cfg, side):
    """Every recorder of the pair's fragments for ``side``, as
    ``<fragment>.<recorder>``."""
    recorders = {}
    for frag in FRAGMENTS:
        for name, rec in cfg.get(frag, {}).get(f'{side}_recorders',
                                                {}).items():
            recorders[f'{frag}.{name}'] = rec
    return recorders


def _record(model, side, name):
    manager = getattr(model.distiller, f'{side}_recorders')
    recorder = manager.get_recorder(name)
    data = recorder.get_record_data()
    if recorder.__class__.__name__.startswith('ModuleInputs'):
        data = data[0]
    return data[0] if isinstance(data, (tuple, list)) else data


@pytest.mark.parametrize('pair', PAIR_FILES, ids=_ids(PAIR_FILES))
def test_pair_builds_and_records_every_layer(pair):
    cfg = Config.fromfile(pair)
    # a pair file states facts only: no model, data or schedule of its own
    assert not {'model', 'train_dataloader', 'optim_wrapper'} & set(cfg)
    # the channel facts, where the pair states them (every pair of the
    # CRD-family tables does: the embedding methods need them)
    channels = cfg.get('channels', {})
    # the penultimate feature: the neck's output, or (MFD's networks) a
    # `penultimate` fragment
    feat = 'penultimate.feat' if 'penultimate' in cfg else 'feat'
    neck = dict(feat=dict(type='ModuleOutputs', source='neck')) \
        if cfg.pair.architecture.get('neck') else {}

    model_cfg = dict(
        _scope_='mmrazor',
        type='CheckedSingleTeacherDistill',
        **copy.deepcopy(cfg.pair),
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=dict(
                fc=dict(type='ModuleOutputs', source='head.fc'),
                **neck, **_recorders(cfg, 'student')),
            teacher_recorders=dict(
                fc=dict(type='ModuleOutputs', source='head.fc'),
                **neck, **_recorders(cfg, 'teacher')),
            distill_losses=dict(
                loss_kd=dict(type='KLDivergence', tau=4, loss_weight=0.9)),
            loss_forward_mappings=dict(
                loss_kd=dict(
                    preds_S=dict(from_student=True, recorder='fc'),
                    preds_T=dict(from_student=False, recorder='fc')))))
    model_cfg['teacher_ckpt'] = None
    model = RAZOR_MODELS.build(model_cfg)

    names = split_pair_name(pair)
    if names is not None and names['dataset'] == 'cifar100':
        n_s = sum(p.numel() for p in model.student.parameters())
        n_t = sum(p.numel() for p in model.teacher.parameters())
        compression = round(100 * (1 - n_s / n_t), 2)
        assert compression == PAPER_COMPRESSION[(names['teacher'],
                                                 names['student'])]

    num_classes = cfg.pair.architecture.head.num_classes
    assert cfg.pair.teacher.head.num_classes == num_classes
    samples = [
        DataSample().set_gt_label(i % num_classes) for i in range(2)
    ]
    torch.manual_seed(0)
    losses = model(torch.rand(2, 3, 32, 32), samples, mode='loss')
    assert {'student.loss', 'distill.loss_kd'} <= set(losses)

    # the channel facts are those of the recorded outputs
    for i, side in enumerate(('student', 'teacher')):
        if 'feat' in channels:
            assert _record(model, side, feat).shape[1] == channels.feat[i]
        if 'quest' in cfg:
            quest = _record(model, side, 'quest.quest')
            assert quest.shape[1] == (
                cfg.quest.connectors.quest_head.in_channels if i == 0 else
                cfg.quest.distill_losses.loss_quest.feat_channels)
        if 'stages' in cfg:
            recorded = tuple(
                _record(model, side, f'stages.s{j}').shape[1]
                for j in (1, 2, 3))
            assert recorded == tuple(cfg.channels.stages[i])
            assert _record(model, side, 'hint.hint').shape[1] == \
                cfg.channels.hint[i]
        # pre-activations are recorded before any ReLU clips them
        if 'preact' in cfg:
            for j in (1, 2, 3):
                x = _record(model, side, f'preact.p{j}')
                assert x.dim() == 4 and x.min() < 0, (side, j)

    # QuEST: the teacher map, average-pooled by `downscale`, has the
    # student map's spatial size
    if 'quest' not in cfg:
        return
    down = cfg.quest.distill_losses.loss_quest.downscale
    assert down in (1, 2)
    f_s = _record(model, 'student', 'quest.quest')
    f_t = _record(model, 'teacher', 'quest.quest')
    assert f_s.dim() == 4 and f_t.dim() == 4
    if down > 1:
        f_t = F.avg_pool2d(f_t, down)
    assert f_t.shape[-2:] == f_s.shape[-2:], (f_t.shape, f_s.shape)


@pytest.mark.parametrize(
    'pair', CIFAR100_PAIRS, ids=_ids(CIFAR100_PAIRS))
def test_pair_embeds_the_zoo_models(pair):
    """The pair's networks are those of the model configs, so a checkpoint
    of ``configs/teachers/<teacher>_1xb64_cifar100.py`` fits its teacher."""
    cfg = Config.fromfile(pair)
    names = split_pair_name(pair)
    teacher, student = names['teacher'], names['student']
    assert cfg.pair.teacher_ckpt == \
        f'work_dirs/{teacher}_1xb64_cifar100/epoch_240.pth'
    for side, name in (('architecture', student), ('teacher', teacher)):
        zoo = Config.fromfile(osp.join(MODELS_DIR, f'{name}_cifar.py'))
        assert _without_scope(cfg.pair[side]) == _without_scope(zoo.model)
        assert osp.isfile(
            osp.join(TEACHERS_DIR, f'{name}_1xb64_cifar100.py'))


# ---------------------------------------------------------------------------
# documentation
# ---------------------------------------------------------------------------
def test_readme_lists_every_config_and_pair():
    with open(README) as f:
        text = f.read()
    for path in TEACHER_CONFIGS + CIFAR100_PAIRS:
        assert osp.basename(path) in text, osp.basename(path)


def test_zoo_table_measures_like_the_metafile(metafile_models):
    """tools/analysis/zoo_table.py gives the README's numbers."""
    spec = importlib.util.spec_from_file_location(
        'zoo_table', osp.join(REPO, 'tools', 'analysis', 'zoo_table.py'))
    zoo_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zoo_table)
    row = zoo_table.measure(osp.join(MODELS_DIR, 'resnet8_cifar.py'))
    meta = metafile_models['configs/teachers/resnet8_1xb64_cifar100.py']
    assert row['params'] == meta['Metadata']['Parameters'] == 83892
    assert row['flops'] == meta['Metadata']['FLOPs']
    table = zoo_table.format_table([row])
    assert '| resnet8 | CIFARResNet | 0.08 | 83,892 | 12.7 |' in table


def test_metafile_configs_exist(metafile_models):
    for rel, model in metafile_models.items():
        assert osp.isfile(osp.join(REPO, rel)), rel
        assert model['Weights'] is None
        # the dataset the config trains on
        cfg = Config.fromfile(osp.join(REPO, rel))
        expected = {'LocalCIFAR100': 'CIFAR-100', 'LocalCIFAR10': 'CIFAR-10',
                    'DigitsCIFAR': 'Digits'}
        assert model['Metadata']['Training Data'] == \
            expected[cfg.train_dataloader.dataset.type]


# ---------------------------------------------------------------------------
# end to end (slow)
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_vanilla_student_learns_the_digits(digits_root, tmp_path):
    """resnet8 alone, on the digits, ends well above chance (10%).

    Ten epochs with the cosine schedule compressed to the run (T_max = 10)
    so the LR ends near 0: ~90% top-1. Three epochs of the config's own
    30-epoch cosine are not enough: the weights still move fast, the BN
    running statistics lag behind them and eval-mode top-1 is ~20%
    (batch-statistics top-1 is ~48% then).
    """
    epochs = 10
    cfg = Config.fromfile(
        osp.join(TEACHERS_DIR, 'resnet8_1xb64_digits.py'))
    point_digits_config_at(cfg, digits_root, str(tmp_path))
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler.T_max = epochs
    cfg.default_hooks.checkpoint = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    top1 = runner.message_hub.get_scalar('val/accuracy/top1').current()
    assert top1 > 50, f'top-1 {top1:.1f} after {epochs} epochs (chance 10)'
