# Copyright (c) OpenMMLab. All rights reserved.
"""A misspelt argument of a component names its config key (#19).

Without :func:`mmkd_plus.utils.explain_unknown_argument` each of these
ends in Python's ``TypeError: X.__init__() got an unexpected keyword
argument 'k'``, raised deep inside MMEngine's ``build_from_cfg``. The
helpers themselves are tested in ``tests/test_utils/test_registry_hints.py``.
"""
import os.path as osp

import pytest
from kd_test_utils import (KD_DIGITS, REPO, STUDENT_DIGITS, load_tool,
                           short_run_options)

train_tool = load_tool('train.py')
WCORD_DIGITS = osp.join(REPO, 'configs', 'wcord',
                        'wcord_neck_resnet20_resnet8_1xb64_digits.py')


def _train_error(config, tmp_path, *options):
    opts = short_run_options(
        str(tmp_path / 'nodata'), str(tmp_path / 'work'), max_epochs=1)
    with pytest.raises(TypeError) as err:
        train_tool.main([config, '--cfg-options', *opts, *options])
    return str(err.value)


def test_misspelt_loss_argument(tmp_path):
    msg = _train_error(WCORD_DIGITS, tmp_path,
                       'model.distiller.distill_losses.loss_wcord.'
                       'lipschits=none')
    assert msg.startswith(
        'model.distiller.distill_losses.loss_wcord.lipschits: WCoRDLoss '
        '(mmkd_plus.models.losses.wcord_loss) takes no argument '
        "'lipschits'. Did you mean 'lipschitz'? Its arguments: num_data, ")
    assert msg.endswith('Fix the key in the config (or in --cfg-options).')
    assert 'unexpected keyword' not in msg


def test_misspelt_student_argument_in_a_distillation(tmp_path):
    # built inside CheckedSingleTeacherDistill: the key is still whole
    msg = _train_error(KD_DIGITS, tmp_path, 'model.architecture.backbone.'
                       'depht=8')
    assert msg.startswith('model.architecture.backbone.depht: CIFARResNet ')
    assert "Did you mean 'depth'?" in msg


@pytest.mark.parametrize('option, start, hint', [
    ('default_hooks.rng_state.seed=1',
     'default_hooks.rng_state.seed: RNGStateHook ', 'It takes no arguments.'),
    ('train_dataloader.dataset.splt=train',
     'train_dataloader.dataset.splt: DigitsCIFAR ', "Did you mean 'split'?"),
    ('train_dataloader.dataset.pipeline.0.paddin=4',
     'train_dataloader.dataset.pipeline.0.paddin: RandomCrop ',
     "Did you mean 'padding'?"),
    ('train_dataloader.sampler.shufle=True',
     'train_dataloader.sampler.shufle: DefaultSampler ',
     "Did you mean 'shuffle'?"),
    ('val_evaluator.topk_=1', 'val_evaluator.topk_: Accuracy ',
     "Did you mean 'topk'?"),
])
def test_misspelt_argument_of_hook_dataset_transform_sampler_metric(
        option, start, hint, digits_root, tmp_path):
    # hooks are built with the Runner, the rest when training starts
    opts = short_run_options(digits_root, str(tmp_path), max_epochs=1,
                             num_train=16)
    with pytest.raises(TypeError) as err:
        train_tool.main([STUDENT_DIGITS, '--cfg-options', *opts, option])
    msg = str(err.value)
    assert msg.startswith(start), msg
    assert hint in msg
