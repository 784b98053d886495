# Copyright (c) OpenMMLab. All rights reserved.
"""SSKD's configs: every pair of the tables, each stage 2 bound to the
stage 1 of its teacher, the weights named by term, the task variants."""
import glob
import os.path as osp

import pytest
from kd_test_utils import REPO
from mmengine.config import Config

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


def _cfg(name):
    return Config.fromfile(osp.join(SSKD, name))


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
    # the heads' widths are the pooled features' (the pair's channels.feat)
    assert (cfg.model.distiller.connectors.ss_s.in_channels,
            head.in_channels) == tuple(cfg.channels.feat)


def test_weights_named_by_term():
    cfg = _cfg('sskd_resnet32x4_resnet8x4_1xb64_cifar100.py')
    losses = cfg.model.distiller.distill_losses
    weights = (cfg.model.architecture.head.loss.loss_weight,
               losses.loss_kd.loss_weight, losses.loss_tf.loss_weight,
               losses.loss_ss.loss_weight)
    assert weights == (0.1, 0.9, 2.7, 10.0)  # the authors' code
    assert (losses.loss_kd.tau, losses.loss_tf.tau, losses.loss_ss.tau) == \
        (4.0, 4.0, 0.5)
    assert (losses.loss_tf.select_ratio, losses.loss_ss.select_ratio) == \
        (1.0, 0.75)
    eccv = _cfg('sskd_eccv_weights_resnet32x4_resnet8x4_1xb64_cifar100.py')
    losses = eccv.model.distiller.distill_losses
    assert (eccv.model.architecture.head.loss.loss_weight,
            losses.loss_kd.loss_weight, losses.loss_tf.loss_weight,
            losses.loss_ss.loss_weight) == (0.1, 0.9, 3.0, 5.0)


def test_imagenet_recipe():
    cfg = _cfg('sskd_resnet34_resnet18_8xb32_in1k.py')
    assert cfg.model.architecture.head.loss.loss_weight == 1.0
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
