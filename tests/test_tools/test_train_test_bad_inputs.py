# Copyright (c) OpenMMLab. All rights reserved.
"""tools/train.py and tools/test.py: bad input ends in one clear message.

Corrupt and missing checkpoints on ``--resume``, a checkpoint with an
optimizer per module for a config with one, a work dir copied with its
``last_checkpoint``, a misspelt ``type``, ``--cfg-options data_root``,
and ``tools/test.py`` reporting the student and the teacher.
"""
import os.path as osp
import shutil

import pytest
import torch
from kd_test_utils import (KD_DIGITS, REPO, STUDENT_DIGITS, TEACHER_DIGITS,
                           load_tool, short_run_options)

from mmkd_plus.utils import CorruptCheckpointError

train_tool = load_tool('train.py')
test_tool = load_tool('test.py')


@pytest.fixture(scope='module')
def student_run(digits_root, tmp_path_factory):
    """A 2-epoch plain run with a checkpoint per epoch."""
    work = str(tmp_path_factory.mktemp('student'))
    train_tool.main([
        STUDENT_DIGITS, '--cfg-options',
        *short_run_options(digits_root, work, max_epochs=2, num_train=32)
    ])
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
    return work


def _copy_run(src, dst):
    shutil.copytree(src, dst)
    return str(dst)


def _truncate(path):
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


def test_resume_from_truncated_checkpoint(digits_root, student_run,
                                          tmp_path):
    work = _copy_run(student_run, tmp_path / 'run')
    bad = osp.join(work, 'epoch_2.pth')
    _truncate(bad)
    opts = short_run_options(digits_root, work, max_epochs=3, num_train=32)
    with pytest.raises(CorruptCheckpointError) as err:
        train_tool.main([STUDENT_DIGITS, '--resume', bad, '--cfg-options',
                         *opts])
    msg = str(err.value)
    assert msg.startswith(f'--resume: the checkpoint {bad!r} cannot be read')
    assert f'--resume {osp.join(work, "epoch_1.pth")}' in msg


def test_auto_resume_of_truncated_checkpoint(digits_root, student_run,
                                             tmp_path):
    work = _copy_run(student_run, tmp_path / 'run')
    _truncate(osp.join(work, 'epoch_2.pth'))
    opts = short_run_options(digits_root, work, max_epochs=3, num_train=32)
    with pytest.raises(CorruptCheckpointError,
                       match=r'--resume \(the last checkpoint named in .*'
                       r'last_checkpoint\).*epoch_2\.pth.*cannot be read.*'
                       r'--resume .*epoch_1\.pth'):
        train_tool.main([STUDENT_DIGITS, '--resume', '--cfg-options', *opts])


def test_missing_resume_checkpoint(digits_root, tmp_path):
    opts = short_run_options(digits_root, str(tmp_path), max_epochs=1)
    with pytest.raises(FileNotFoundError,
                       match=r"--resume: checkpoint '.*nope\.pth' does not "
                       'exist'):
        train_tool.main([STUDENT_DIGITS, '--resume',
                         str(tmp_path / 'nope.pth'), '--cfg-options', *opts])


def test_copied_work_dir_resumes_its_own_checkpoint(digits_root, student_run,
                                                    tmp_path):
    # last_checkpoint names the original run's file; the copy resumes its own
    work = _copy_run(student_run, tmp_path / 'copy')
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert osp.dirname(f.read().strip()) == student_run
    cfg = train_tool.merge_args(
        train_tool.Config.fromfile(STUDENT_DIGITS),
        train_tool.parse_args([
            STUDENT_DIGITS, '--resume', '--cfg-options',
            *short_run_options(digits_root, work, max_epochs=3)
        ]))
    train_tool.check_resume(cfg, STUDENT_DIGITS)
    assert cfg.load_from == osp.join(work, 'epoch_2.pth')
    assert cfg.resume is True


def test_misspelt_type_in_a_plain_config(digits_root, tmp_path):
    opts = short_run_options(digits_root, str(tmp_path), max_epochs=1)
    with pytest.raises(ValueError) as err:
        train_tool.main([STUDENT_DIGITS, '--cfg-options', *opts,
                         'model.neck.type=GlobalAveragePoolin'])
    msg = str(err.value)
    assert "model.neck.type='GlobalAveragePoolin'" in msg
    assert "'GlobalAveragePooling'" in msg
    # a dataset is built when training starts: still named
    with pytest.raises(ValueError,
                       match=r"train_dataloader\.dataset\.type='DigitsCifar'"
                       r".*'DigitsCIFAR'"):
        train_tool.main([STUDENT_DIGITS, '--cfg-options', *opts,
                         'train_dataloader.dataset.type=DigitsCifar'])


def test_data_root_option_moves_every_loader(digits_root, tmp_path,
                                             monkeypatch):
    cfg = train_tool.merge_args(
        train_tool.Config.fromfile(KD_DIGITS),
        train_tool.parse_args(
            [KD_DIGITS, '--cfg-options', f'data_root={digits_root}']))
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[name].dataset.data_root == digits_root, name
    # and a wrong one names the absolute path of the missing file
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError,
                       match=repr(str(tmp_path / 'nowhere'))):
        train_tool.main([STUDENT_DIGITS, '--cfg-options', 'data_root=nowhere',
                         f'work_dir={tmp_path}'])


def test_test_tool_reports_student_and_teacher(digits_root,
                                               digits_teacher_ckpt, tmp_path):
    work = str(tmp_path / 'kd')
    opts = short_run_options(digits_root, work, max_epochs=1, num_train=32)
    train_tool.main([KD_DIGITS, '--cfg-options',
                     f'model.teacher_ckpt={digits_teacher_ckpt}', *opts])
    metrics = test_tool.main([
        KD_DIGITS, osp.join(work, 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 'test_kd'), '--cfg-options',
        f'data_root={digits_root}'
    ])
    assert set(metrics) == {'accuracy/top1', 'teacher.accuracy/top1'}
    # the teacher's figure is the teacher checkpoint's own accuracy
    teacher = test_tool.main([
        TEACHER_DIGITS, digits_teacher_ckpt,
        '--work-dir', str(tmp_path / 'test_teacher'), '--cfg-options',
        f'data_root={digits_root}'
    ])
    assert metrics['teacher.accuracy/top1'] == pytest.approx(
        teacher['accuracy/top1'])


def test_train_refuses_a_leftover_sskd_weights(digits_root, tmp_path):
    """``sskd_weights`` is read by no component: tools/train.py stops on
    an override of it before building anything, naming both keys."""
    config = osp.join(osp.dirname(KD_DIGITS), '..', '..', 'sskd',
                      'sskd_resnet20_resnet8_1xb64_digits.py')
    opts = short_run_options(digits_root, str(tmp_path), max_epochs=1,
                             num_train=32)
    with pytest.raises(ValueError,
                       match=r'sskd_weights\.tf=3\.0.*loss_tf\.loss_weight'):
        train_tool.main([config, '--cfg-options', *opts,
                         'sskd_weights.tf=3.0'])


WEB_PAGE = b'<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n'


@pytest.mark.parametrize('key', [
    'model.teacher_ckpt', 'model.teacher_ss_ckpt', '--resume', 'load_from',
    'vocab_file'
])
def test_a_web_page_given_as_a_checkpoint(key, digits_root,
                                          digits_teacher_ckpt, tmp_path):
    """Each place a checkpoint file is given names itself when the file is
    a web page (a failed download), with no unpickling advice."""
    page = str(tmp_path / 'weights.pth')
    with open(page, 'wb') as f:
        f.write(WEB_PAGE)
    configs = osp.join(osp.dirname(KD_DIGITS), '..', '..')
    config = KD_DIGITS
    extra = [f'model.teacher_ckpt={digits_teacher_ckpt}']
    args = []
    if key == 'model.teacher_ss_ckpt':
        config = osp.join(configs, 'sskd',
                          'sskd_resnet20_resnet8_1xb64_digits.py')
    elif key == 'vocab_file':
        config = osp.join(configs, 'quest',
                          'quest_layer3_resnet20_resnet8_1xb64_digits.py')
        extra.append(f'custom_hooks.0.vocab_file={page}')
    if key == '--resume':
        args = ['--resume', page]
    elif key != 'vocab_file':
        extra.append(f'{key}={page}')
    opts = short_run_options(digits_root, str(tmp_path / 'work'),
                             max_epochs=1, num_train=32)
    with pytest.raises(CorruptCheckpointError) as err:
        train_tool.main([config, *args, '--cfg-options', *opts, *extra])
    msg = str(err.value)
    assert msg.startswith(f'{key}: the checkpoint {page!r} cannot be read: '
                          'it is a web page')
    assert 'weights_only' not in msg


def test_test_tool_on_sskd_without_the_stage1_file(digits_root,
                                                   digits_teacher_ckpt,
                                                   tmp_path, monkeypatch,
                                                   capfd):
    """The stage-2 checkpoint holds the teacher and its stage-1 head:
    tools/test.py evaluates it where neither the teacher checkpoint nor
    the stage-1 file exists, without warning about a random teacher."""
    config = osp.join(osp.dirname(KD_DIGITS), '..', '..', 'sskd',
                      'sskd_resnet20_resnet8_1xb64_digits.py')
    work = str(tmp_path / 'sskd')
    opts = short_run_options(digits_root, work, max_epochs=1, num_train=32)
    train_tool.main([config, '--cfg-options', *opts,
                     f'model.teacher_ckpt={digits_teacher_ckpt}',
                     'model.teacher_ss_ckpt=None'])
    monkeypatch.chdir(tmp_path)  # the configured work_dirs/... are absent
    capfd.readouterr()
    metrics = test_tool.main([
        config, osp.join(work, 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', f'data_root={digits_root}'
    ])
    assert set(metrics) == {'accuracy/top1', 'teacher.accuracy/top1'}
    out = ''.join(capfd.readouterr())
    assert 'randomly initialised' not in out and 'head is random' not in out


def test_resume_without_the_teacher_files(digits_root, digits_teacher_ckpt,
                                          tmp_path, monkeypatch, capfd):
    """A resumed SSKD run takes the teacher and its stage-1 head from its
    own checkpoint: neither file need exist any more, nothing warns of a
    random teacher, and the teacher is the one trained with."""
    config = osp.join(osp.dirname(KD_DIGITS), '..', '..', 'sskd',
                      'sskd_resnet20_resnet8_1xb64_digits.py')
    work = str(tmp_path / 'sskd')
    train_tool.main([
        config, '--cfg-options',
        *short_run_options(digits_root, work, max_epochs=1, num_train=32),
        f'model.teacher_ckpt={digits_teacher_ckpt}',
        'model.teacher_ss_ckpt=None'
    ])
    monkeypatch.chdir(tmp_path)  # the configured work_dirs/... are absent
    capfd.readouterr()
    runner = train_tool.main([
        config, '--resume',
        osp.join(work, 'epoch_1.pth'), '--cfg-options',
        *short_run_options(digits_root, work, max_epochs=2, num_train=32)
    ])
    assert runner.epoch == 2
    out = ''.join(capfd.readouterr())
    assert 'model.teacher_ckpt, model.teacher_ss_ckpt not read' in out
    assert 'randomly initialised' not in out and 'head is random' not in out
    teacher = torch.load(digits_teacher_ckpt, map_location='cpu')
    for key, value in teacher['state_dict'].items():
        assert torch.equal(runner.model.teacher.state_dict()[key], value)


def test_resume_of_a_checkpoint_with_an_optimizer_per_module(tmp_path):
    """An AD checkpoint holding one optimizer state per module (the model's
    and the adversaries', as OptimWrapperDict writes them) cannot resume
    the AD config's one Adam: one message says so and how to start from
    its weights, instead of MMEngine's KeyError: 'param_groups'."""
    config = osp.join(REPO, 'configs', 'mfd',
                      'ad_cifarnet_half_1xb128_digits_s.py')

    path = str(tmp_path / 'epoch_1.pth')

    def adam_state(lr):
        return dict(state={}, param_groups=[dict(lr=lr, params=[0])])

    def check(optimizer_state):
        torch.save(
            dict(meta=dict(epoch=1), state_dict={}, optimizer=optimizer_state),
            path)
        cfg = train_tool.merge_args(
            train_tool.Config.fromfile(config),
            train_tool.parse_args([
                config, '--resume', path, '--cfg-options',
                f'work_dir={tmp_path}'
            ]))
        train_tool.check_resume(cfg, config)

    with pytest.raises(ValueError) as err:
        check(dict(model=adam_state(1e-3), adversaries=adam_state(3e-4)))
    assert str(err.value) == (
        f'--resume: the checkpoint {path!r} holds the states of several '
        'optimizers (model, adversaries), but optim_wrapper builds one '
        'optimizer (an AD checkpoint from before its class adversaries '
        "became parameter groups of the model's Adam), so the run cannot "
        'resume from it. Start a new run from its weights: --cfg-options '
        f'load_from={path} (without --resume).')
    # one optimizer's state passes
    check(adam_state(1e-3))
