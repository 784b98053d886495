# Copyright (c) OpenMMLab. All rights reserved.
"""SSKD's configs: every pair of the tables, each stage 2 bound to the
stage 1 of its teacher, the weights named by term (the losses' loss_weight,
their only source), the task variants. (No config changes a base's dict in
place: test_config_keys.py, for every config.)"""
import argparse
import glob
import os.path as osp

import numpy as np
import pytest
import torch
import yaml
from kd_test_utils import REPO
from mmengine.config import Config, DictAction
from mmengine.registry import MODELS, DefaultScope
from mmpretrain.registry import TRANSFORMS
from mmpretrain.structures import DataSample

from mmkd_plus.models.losses.sskd_loss import (SSKD_WEIGHT_KEYS,
                                               check_sskd_weights)
from mmkd_plus.utils import merge_cfg_options, network_config

SSKD = osp.join(REPO, 'configs', 'sskd')
# the SSKD paper's CIFAR-100 pairs (teacher, student)
TABLE_PAIRS = [('wrn_40_2', 'wrn_16_2'), ('wrn_40_2', 'wrn_40_1'),
               ('resnet56', 'resnet20'), ('resnet32x4', 'resnet8x4'),
               ('vgg13', 'vgg8'), ('vgg13', 'mobilenetv2'),
               ('resnet50', 'mobilenetv2'), ('resnet50', 'vgg8'),
               ('resnet32x4', 'shufflenetv1'), ('resnet32x4', 'shufflenetv2'),
               ('wrn_40_2', 'shufflenetv1')]
STAGE2 = sorted(
    p for p in glob.glob(osp.join(SSKD, 'sskd_*.py'))
    if 'stage1' not in osp.basename(p))


def _cfg(name, *options):
    """The config ``name`` with ``--cfg-options`` as tools/train.py merges
    them (``options``: ``key=value`` strings)."""
    cfg = Config.fromfile(osp.join(SSKD, name))
    if options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        args = parser.parse_args(['--cfg-options', *options])
        merge_cfg_options(cfg, args.cfg_options)
    return cfg


def _weights(cfg):
    """(ce, kd, tf, ss) as the config sets them."""
    losses = cfg.model.distiller.distill_losses
    return (cfg.model.architecture.head.loss.loss_weight,
            losses.loss_kd.loss_weight, losses.loss_tf.loss_weight,
            losses.loss_ss.loss_weight)


@pytest.mark.parametrize('teacher,student', TABLE_PAIRS)
def test_every_table_pair_has_both_stages(teacher, student):
    cfg = _cfg(f'sskd_{teacher}_{student}_1xb64_cifar100.py')
    assert cfg.model.type == 'SSKDDistill'
    lr = 0.01 if student.startswith(('mobilenet', 'shuffle')) else 0.05
    assert cfg.optim_wrapper.optimizer.lr == lr
    assert cfg.train_cfg.max_epochs == 240
    assert cfg.param_scheduler.milestones == [150, 180, 210]


@pytest.mark.parametrize('path', STAGE2, ids=osp.basename)
def test_stage2_points_at_the_stage1_of_its_teacher(path):
    cfg = Config.fromfile(path)
    ckpt = cfg.model.teacher_ss_ckpt
    assert ckpt.startswith('work_dirs/')
    stage1 = Config.fromfile(osp.join(SSKD, ckpt.split('/')[1] + '.py'))
    assert stage1.model.type == 'SSKDTeacherStage'
    assert stage1.model.architecture == cfg.model.teacher
    assert stage1.model.teacher_ckpt == cfg.model.teacher_ckpt
    assert ckpt.endswith(f'epoch_{stage1.train_cfg.max_epochs}.pth')
    head = cfg.model.distiller.connectors.ss_t
    assert stage1.model.ss_head.in_channels == head.in_channels
    assert stage1.model.ss_head.get('out_channels') == head.get('out_channels')
    # the same views in both stages
    assert stage1.train_dataloader.dataset.pipeline == \
        cfg.train_dataloader.dataset.pipeline
    # the heads' widths are the pooled features' (the width the networks'
    # linear heads read)
    assert (cfg.model.distiller.connectors.ss_s.in_channels,
            head.in_channels) == (
                network_config(cfg.model.architecture).head.in_channels,
                network_config(cfg.model.teacher).head.in_channels)


def test_weights_named_by_term():
    cfg = _cfg('sskd_resnet32x4_resnet8x4_1xb64_cifar100.py')
    losses = cfg.model.distiller.distill_losses
    assert _weights(cfg) == (0.1, 0.9, 2.7, 10.0)  # the authors' code
    assert (losses.loss_kd.tau, losses.loss_tf.tau, losses.loss_ss.tau) == \
        (4.0, 4.0, 0.5)
    assert (losses.loss_tf.select_ratio, losses.loss_ss.select_ratio) == \
        (1.0, 0.75)
    eccv = _cfg('sskd_eccv_weights_resnet32x4_resnet8x4_1xb64_cifar100.py')
    assert _weights(eccv) == (0.1, 0.9, 3.0, 5.0)  # ECCV supplement


@pytest.mark.parametrize('path', STAGE2, ids=osp.basename)
def test_loss_weights_are_the_only_source(path):
    """No config keeps a weights variable beside the losses (issue #19.2);
    the leaves' keys are the ones the README names."""
    cfg = Config.fromfile(path)
    assert 'sskd_weights' not in cfg
    check_sskd_weights(cfg)
    for term, key in SSKD_WEIGHT_KEYS.items():
        node = cfg
        for part in key.split('.'):
            node = node[part]
        assert isinstance(node, float), (term, key)


def test_metafile_weights_are_the_configs():
    with open(osp.join(SSKD, 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    listed = [m for m in models
              if 'Weights (ce, kd, tf, ss)' in m.get('Metadata', {})]
    assert len(listed) >= 13
    for model in listed:
        text = model['Metadata']['Weights (ce, kd, tf, ss)']
        weights = tuple(float(w) for w in text.split(' (')[0].split(','))
        cfg = Config.fromfile(osp.join(REPO, model['Config']))
        assert _weights(cfg) == weights, model['Name']


def test_readme_names_every_weight_key():
    with open(osp.join(SSKD, 'README.md')) as f:
        readme = f.read()
    for key in SSKD_WEIGHT_KEYS.values():
        assert f'`{key}`' in readme, key


def test_rotations_are_exact_quarter_turns():
    """The recipe's rotations are the authors' np.rot90 images (theirs
    counter-clockwise, ours clockwise: our angle a is their k = 4 - a/90),
    pixel for pixel."""
    cfg = _cfg('sskd_resnet32x4_resnet8x4_1xb64_cifar100.py')
    img = np.random.RandomState(0).randint(0, 256, (32, 32, 3))
    img = img.astype(np.uint8)
    views = cfg.train_dataloader.dataset.pipeline[1]
    assert views.view_names == ['normal', 'rot90', 'rot180', 'rot270']
    rotations = [view[0] for view in views.transforms[1:]]
    assert [r.angle for r in rotations] == [90.0, 180.0, 270.0]
    for rotation in rotations:
        out = TRANSFORMS.build(rotation)(dict(img=img.copy()))['img']
        k = 4 - int(rotation.angle) // 90
        assert np.array_equal(out, np.rot90(img, k)), rotation.angle


def test_leftover_sskd_weights_is_refused():
    # a weights variable set from the command line reaches no loss
    cfg = _cfg('sskd_resnet32x4_resnet8x4_1xb64_cifar100.py',
               'sskd_weights.tf=3.0')
    assert _weights(cfg)[2] == 2.7
    with pytest.raises(ValueError) as err:
        check_sskd_weights(cfg)
    message = str(err.value)
    assert 'sskd_weights.tf=3.0 but ' \
        'model.distiller.distill_losses.loss_tf.loss_weight=2.7' in message
    assert 'kd=' not in message and 'ss=' not in message
    # a copied recipe that sets three of the four terms: only the
    # disagreeing ones are named, in one message
    cfg = _cfg('sskd_resnet32x4_resnet8x4_1xb64_cifar100.py')
    cfg.sskd_weights = dict(ce=1.0, kd=0.9, ss=5.0)
    with pytest.raises(ValueError) as err:
        check_sskd_weights(cfg)
    message = str(err.value)
    assert 'sskd_weights.ce=1.0 but ' \
        'model.architecture.head.loss.loss_weight=0.1' in message
    assert 'sskd_weights.ss=5.0 but ' \
        'model.distiller.distill_losses.loss_ss.loss_weight=10.0' in message
    assert 'sskd_weights.kd' not in message
    cfg.sskd_weights = dict(lambda3=3.0)
    with pytest.raises(ValueError, match='lambda3=3.0 names no term'):
        check_sskd_weights(cfg)
    # agreeing with the losses, it misleads nobody
    cfg.sskd_weights = dict(ce=0.1, kd=0.9, tf=2.7, ss=10.0)
    check_sskd_weights(cfg)


def _built_losses(cfg):
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = model_cfg.teacher_ss_ckpt = None  # no file
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
    return model.distiller.distill_losses


def test_cfg_option_changes_the_built_loss():
    leaf = 'sskd_resnet20_resnet8_1xb64_digits.py'
    default = _built_losses(_cfg(leaf))['loss_tf']
    changed = _built_losses(
        _cfg(leaf,
             'model.distiller.distill_losses.loss_tf.loss_weight=3.0'))
    assert changed['loss_tf'].loss_weight == 3.0
    assert changed['loss_ss'].loss_weight == 10.0  # the others stay
    # the value the loss returns scales with it
    torch.manual_seed(0)
    s, t = torch.randn(8, 10), torch.randn(8, 10)
    samples = []
    for label in (3, 7):
        sample = DataSample().set_gt_label(label)
        sample.set_field(torch.arange(4), 'view_labels')
        samples.append(sample)
    ratio = changed['loss_tf'](s, t, samples) / default(s, t, samples)
    assert ratio.item() == pytest.approx(3.0 / 2.7, rel=1e-6)


def test_imagenet_recipe():
    cfg = _cfg('sskd_resnet34_resnet18_8xb32_in1k.py')
    # supplement Sec. 4.2: its CIFAR-100 weights, lambda_1 (ce) = 1.0
    assert _weights(cfg) == (1.0, 0.9, 3.0, 5.0)
    # the recipe's ce weight merges on top of mmpretrain's ResNet-18
    student = network_config(cfg.model.architecture)
    assert student.head.loss == dict(
        type='CrossEntropyLoss', loss_weight=1.0)
    assert student.backbone.depth == 18
    assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4
    assert cfg.optim_wrapper.optimizer.lr == 0.1
    assert cfg.train_dataloader.batch_size == 32  # x 8 GPUs
    assert cfg.param_scheduler.milestones == [30, 60, 90]
    assert cfg.train_cfg.max_epochs == 100


@pytest.mark.parametrize('task,classes,loss',
                         [('rotation', 4, 'SSKDKLLoss'),
                          ('jigsaw', 24, 'SSKDKLLoss'),
                          ('exemplar', 1438, 'SSKDKLLoss')])
def test_task_variants(task, classes, loss):
    cfg = _cfg(f'sskd_{task}_resnet20_resnet8_1xb64_digits.py')
    ss = cfg.model.distiller.distill_losses.loss_ss
    assert ss.type == loss and ss.views == 'all'
    assert ss.target == 'view_label' and ss.select_ratio == 0.75
    assert cfg.model.distiller.connectors.ss_s.out_channels == classes
    stage1 = _cfg(f'sskd_{task}_stage1_resnet20_1xb64_digits.py')
    assert stage1.model.ss_loss.task == 'classification'
    assert stage1.model.ss_head.out_channels == classes
