# Copyright (c) OpenMMLab. All rights reserved.
"""The model zoo: teacher configs, the pairs the leaves state, metafile and
README.

- every ``configs/teachers/*_cifar100.py`` parses, builds, gives 100 logits
  and trains one iteration on the digits;
- the CIFAR-100 pairs of the leaves (their students' and teachers'
  ``cfg_path``) are the papers' 13, with the papers' compression;
- every leaf's teacher checkpoint is its teacher config's last one;
- every distillation leaf records the layers it states: the recorded
  widths are those of its connectors and losses, pre-activations are
  negative somewhere, QuEST's maps agree after the teacher's pooling;
- (slow) a vanilla student learns the digits well above chance.

The tests run torch on one thread (``conftest.py``): on a shared 2-core
machine that is several times faster for these small passes.
"""
import copy
import glob
import importlib.util
import math
import os.path as osp
from typing import Optional

import pytest
import torch
import torch.nn.functional as F
import yaml
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmrazor.registry import MODELS as RAZOR_MODELS
from zoo_test_utils import (MODELS_DIR, REPO, TEACHERS_DIR, load_leaves,
                            point_digits_config_at, teacher_config_name,
                            zoo_models)

from mmkd_plus.utils import network_config
from mmkd_plus.utils.network_config import PREFIX, resolve_cfg_path

TEACHER_CONFIGS = sorted(glob.glob(osp.join(TEACHERS_DIR, '*_cifar100.py')))
METAFILE = osp.join(TEACHERS_DIR, 'metafile.yml')
README = osp.join(TEACHERS_DIR, 'README.md')
ZOO_DOC = osp.join(REPO, 'docs', 'zoo.md')

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


def network_config_file(cfg_path: str) -> Optional[str]:
    """The file of an ``mmkd_plus::`` config path, else None."""
    return resolve_cfg_path(cfg_path) if cfg_path.startswith(PREFIX) else None


def _net_name(teacher_config: str) -> str:
    return osp.basename(teacher_config)[:-len('_1xb64_cifar100.py')]


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
# the pairs, as the leaves state them
# ---------------------------------------------------------------------------
def _distill_leaves():
    """``rel -> cfg`` of every leaf that distils a teacher into a student."""
    return {
        rel: cfg
        for rel, cfg in load_leaves().items()
        if 'teacher' in cfg.model and 'architecture' in cfg.model
    }


def _num_params(cfg_path: str) -> int:
    net = network_config(dict(cfg_path=cfg_path))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return sum(p.numel() for p in PRETRAIN_MODELS.build(net).parameters())


def test_pairs_are_the_papers_pairs():
    """The CIFAR-100 (teacher, student) pairs the leaves name by their
    teacher configs are the papers' 13, with the papers' compression
    1 - params(S) / params(T): our networks have the papers' sizes."""
    found = set()
    for rel, cfg in _distill_leaves().items():
        names = [
            teacher_config_name(cfg.model[side].get('cfg_path'))
            for side in ('teacher', 'architecture')
        ]
        if all(n is not None and n[1] == 'cifar100' for n in names):
            found.add((names[0][0], names[1][0]))
    assert found == PAPER_PAIRS == set(PAPER_COMPRESSION)
    for teacher, student in sorted(found):
        n_t = _num_params(f'mmkd_plus::teachers/{teacher}_1xb64_cifar100.py')
        n_s = _num_params(f'mmkd_plus::teachers/{student}_1xb64_cifar100.py')
        compression = round(100 * (1 - n_s / n_t), 2)
        assert compression == PAPER_COMPRESSION[(teacher, student)], (teacher,
                                                                      student)


def test_teacher_checkpoint_is_its_configs_last():
    """One fact, checked everywhere: a leaf whose teacher is one of our
    configs reads that config's last checkpoint,
    ``work_dirs/<teacher config stem>/epoch_<its max_epochs>.pth``; an
    ImageNet teacher (a model file, converted weights) reads
    ``checkpoints/``."""
    checked = 0
    for rel, cfg in load_leaves().items():
        model = cfg.model
        if 'teacher_ckpt' not in model:
            continue
        # SSKD's stage 1 trains a head on its (frozen) teacher, the
        # `architecture`
        teacher = model.get('teacher', model.get('architecture'))
        cfg_path = teacher.get('cfg_path', '')
        assert cfg_path, f'{rel}: the teacher is not given by cfg_path'
        path = network_config_file(cfg_path)
        teacher_cfg = Config.fromfile(path) if path else None
        if teacher_cfg is not None and teacher_cfg.get('train_cfg'):
            stem = osp.basename(path)[:-len('.py')]
            epochs = teacher_cfg.train_cfg.max_epochs
            assert model.teacher_ckpt == \
                f'work_dirs/{stem}/epoch_{epochs}.pth', rel
        else:
            assert model.teacher_ckpt.startswith('checkpoints/'), rel
        checked += 1
    assert checked >= 160


# layer families, by the recorder names of the leaves (docs/zoo.md)
def _family(name: str) -> Optional[str]:
    if name.startswith('quest'):
        return 'quest'
    if name == 's0':
        return 'stem'
    if name[0] == 's' and name[1:].isdigit():
        return 'stages'
    if name[0] == 'p' and name[1:].isdigit():
        return 'preact'
    return dict(fc='logits', feat='feat', hint='hint', last='last').get(name)


FAMILIES = ('logits', 'feat', 'stages', 'stem', 'hint', 'last', 'preact',
            'quest')
# the config keys that state a recorded width: a connector's input
CONNECTOR_IN = ('in_channels', 'dim_in', 'in_channel')
# ... a student connector's output, where it meets an unconnected teacher
CONNECTOR_OUT = ('out_channels', 'out_channel')
# ... a loss's, per forward argument
LOSS_WIDTHS = {
    'QuESTLoss': dict(t_feature='feat_channels'),
    'VIDLoss': dict(t_feature='num_channels'),
    'WCoRDLoss': dict(s_feats='s_channels', t_feats='t_channels'),
}


def _input_size(cfg) -> int:
    """The training crop of the leaf's data (32 without one)."""
    dataset = cfg.train_dataloader.dataset
    dataset = dataset.get('dataset', dataset)  # a wrapped dataset
    for step in dataset.get('pipeline') or []:
        for view in [step] + [
                t for ts in step.get('transforms', [])
                for t in (ts if isinstance(ts, list) else [])
        ]:
            if view.get('type') == 'RandomCrop':
                return view.crop_size
            if view.get('type') == 'RandomResizedCrop':
                return view.scale
    return 32


def _net_key(cfg, side: str) -> str:
    key = 'architecture' if side == 'student' else 'teacher'
    return repr(sorted(network_config(cfg.model[key]).to_dict().items()))


class _Records:
    """The recorded tensors of the leaves' recorders, ``(network, input
    size, recorder type, source, data_idx) -> tensor``: a leaf is built and
    run (a 2-image batch through the student and the teacher, MMRazor's
    recorders on) only when it records something no leaf built before
    did."""

    def __init__(self):
        self.data = {}

    def key(self, cfg, side, name, data_idx):
        rec = cfg.model.distiller[f'{side}_recorders'][name]
        return (_net_key(cfg, side), _input_size(cfg), rec.type, rec.source,
                data_idx)

    def get(self, rel, cfg, side, name, data_idx=None):
        key = self.key(cfg, side, name, data_idx)
        if key not in self.data:
            self.record(rel, cfg)
        return self.data[key]

    def record(self, rel, cfg):
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.teacher_ckpt = None
        if 'teacher_ss_ckpt' in model_cfg:
            model_cfg.teacher_ss_ckpt = None
        with DefaultScope.overwrite_default_scope(cfg.default_scope):
            model = RAZOR_MODELS.build(model_cfg)
        model.eval()
        size = _input_size(cfg)
        torch.manual_seed(0)
        x = torch.randn(2, 3, size, size)
        managers = [
            model.distiller.student_recorders,
            model.distiller.teacher_recorders
        ]
        with torch.no_grad(), managers[0], managers[1]:
            model.student(x, mode='tensor')
            model.teacher(x, mode='tensor')
        for side, manager in zip(('student', 'teacher'), managers):
            for name, recorder in manager.recorders.items():
                if not hasattr(recorder, 'source') or \
                        not recorder.data_buffer:
                    continue  # a method's inputs: not recorded in tensor mode
                data = recorder.get_record_data()
                # the tensor a distiller passes: the first of a tuple (the
                # neck's outputs, a module's inputs), whether a mapping
                # names data_idx=0 or not
                if isinstance(data, (tuple, list)):
                    data = data[0]
                for data_idx in (None, 0):
                    self.data[self.key(cfg, side, name, data_idx)] = data


RECORDS = _Records()


def _leaves_of(family):
    """``(rel, cfg)`` of the distillation leaves recording ``family`` (a
    leaf training from a teacher cache records what its online leaf does,
    and has no teacher to run here)."""
    return [(rel, cfg) for rel, cfg in sorted(_distill_leaves().items())
            if cfg.model.type != 'CachedTeacherDistill' and any(
                _family(name) == family
                for name in cfg.model.distiller.get('student_recorders', {}))]


def _arg_widths(cfg, family):
    """``(side, recorder, data_idx, stated width, key)`` of every width the
    leaf states for a recorder of ``family``."""
    distiller = cfg.model.distiller
    connectors = distiller.get('connectors', {})
    out = []
    for loss_name, mapping in distiller.get('loss_forward_mappings',
                                            {}).items():
        loss = distiller.distill_losses[loss_name]
        args = {a: m for a, m in mapping.items() if 'recorder' in m}
        unconnected_teacher = [
            m for m in args.values()
            if not m.get('from_student') and not m.get('connector')
        ]
        for arg, m in args.items():
            if _family(m.recorder) != family:
                continue
            side = 'student' if m.from_student else 'teacher'
            where = f'{loss_name}.{arg}'
            connector = connectors.get(m.get('connector'), {})
            for k in CONNECTOR_IN:
                if k in connector:
                    out.append((side, m.recorder, m.get('data_idx'),
                                connector[k], f'{m.connector}.{k}'))
            if side == 'student' and connector and unconnected_teacher:
                t = unconnected_teacher[0]
                for k in CONNECTOR_OUT:
                    if k in connector:
                        out.append(('teacher', t.recorder, t.get('data_idx'),
                                    connector[k], f'{m.connector}.{k}'))
            key = LOSS_WIDTHS.get(loss.get('type'), {}).get(arg)
            if key is not None:
                out.append((side, m.recorder, m.get('data_idx'), loss[key],
                            f'{where}: {loss_name}.{key}'))
    return out


@pytest.mark.parametrize('family', FAMILIES)
def test_leaves_record_the_layers_they_state(family):
    """Every leaf recording a layer family: the recorded tensors (a 2-image
    batch through the built leaf) have the widths the leaf states to its
    connectors and losses; pre-activation recorders see negative values
    (they record before a ReLU); QuEST's teacher map, average-pooled by
    `downscale`, has the student map's size. A leaf is built when it
    records a layer no leaf built before did: at least one per (pair,
    family)."""
    leaves = _leaves_of(family)
    assert leaves, family
    stated = 0
    for rel, cfg in leaves:
        for side, name, data_idx, width, key in _arg_widths(cfg, family):
            data = RECORDS.get(rel, cfg, side, name, data_idx)
            assert data.shape[1] == width, (rel, key, tuple(data.shape))
            stated += 1
        recorders = cfg.model.distiller
        for side in ('student', 'teacher'):
            for name in recorders[f'{side}_recorders']:
                if _family(name) != family:
                    continue
                data = RECORDS.get(rel, cfg, side, name, 0)
                if family == 'preact':
                    assert data.dim() == 4 and data.min() < 0, (rel, side,
                                                                name)
                if family == 'logits':
                    net = network_config(cfg.model['architecture' if side ==
                                                   'student' else 'teacher'])
                    assert data.shape[1] == net.head.num_classes, rel
        if family == 'quest':
            for loss_name, loss in recorders.distill_losses.items():
                if loss.type != 'QuESTLoss':
                    continue
                mapping = recorders.loss_forward_mappings[loss_name]
                f_s = RECORDS.get(rel, cfg, 'student',
                                  mapping.s_logits.recorder, 0)
                f_t = RECORDS.get(rel, cfg, 'teacher',
                                  mapping.t_feature.recorder, 0)
                assert loss.downscale in (1, 2)
                assert f_s.dim() == 4 and f_t.dim() == 4
                if loss.downscale > 1:
                    f_t = F.avg_pool2d(f_t, loss.downscale)
                assert f_t.shape[-2:] == f_s.shape[-2:], (rel, f_t.shape,
                                                          f_s.shape)
    # the families whose methods take the widths from the leaf state some
    if family in ('feat', 'stages', 'hint', 'last', 'quest'):
        assert stated > 0, family


# ---------------------------------------------------------------------------
# documentation
# ---------------------------------------------------------------------------
def test_readme_lists_every_config_and_pair():
    """The teachers README lists every teacher config; it and the zoo page
    name every pair of the papers' tables as it appears in leaf names."""
    with open(README) as f:
        text = f.read()
    with open(ZOO_DOC) as f:
        zoo = f.read()
    for path in TEACHER_CONFIGS:
        assert osp.basename(path) in text, osp.basename(path)
    for teacher, student in PAPER_PAIRS:
        assert f'`{teacher}_{student}`' in text, (teacher, student)
        assert f'`{teacher}_{student}`' in zoo, (teacher, student)


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
        expected = {
            'LocalCIFAR100': 'CIFAR-100',
            'LocalCIFAR10': 'CIFAR-10',
            'DigitsCIFAR': 'Digits'
        }
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
    cfg = Config.fromfile(osp.join(TEACHERS_DIR, 'resnet8_1xb64_digits.py'))
    point_digits_config_at(cfg, digits_root, str(tmp_path))
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler.T_max = epochs
    cfg.default_hooks.checkpoint = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    top1 = runner.message_hub.get_scalar('val/accuracy/top1').current()
    assert top1 > 50, f'top-1 {top1:.1f} after {epochs} epochs (chance 10)'
