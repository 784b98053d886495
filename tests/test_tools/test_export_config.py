# Copyright (c) OpenMMLab. All rights reserved.
"""tools/export_config.py: a config that runs outside the repository."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from kd_test_utils import KD_DIGITS, REPO, load_tool, short_run_options
from mmengine.config import Config

export_config = load_tool('export_config.py')


def test_export_is_the_merged_config_without_work_dir(tmp_path):
    out = str(tmp_path / 'deploy' / 'configs' / 'kd.py')
    exported = export_config.main(
        [KD_DIGITS, out, '--cfg-options', 'work_dir=somewhere'])
    original = Config.fromfile(KD_DIGITS)
    text = open(out).read()
    assert '_base_ =' not in text and 'work_dir' not in exported
    assert exported.model.to_dict() == original.model.to_dict()
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler',
                'default_hooks', 'custom_imports', 'data_root', 'val_cfg'):
        assert exported[key] == original[key], key
    # the merged config as it is: every key but work_dir, nothing dropped
    assert set(exported) == set(original) - {'work_dir'}
    assert exported.to_dict() == {
        k: v
        for k, v in original.to_dict().items() if k != 'work_dir'
    }
    # the networks stay given by the configs that train them
    assert exported.model.architecture == dict(
        cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py',
        head=dict(loss=dict(loss_weight=0.1)))
    with pytest.raises(SystemExit):  # the option of the pair-file era
        export_config.main([KD_DIGITS, out, '--keep-variables'])


def test_a_copied_leaf_does_not_load_but_the_export_does(tmp_path):
    copied = tmp_path / 'copied.py'
    shutil.copy(KD_DIGITS, copied)
    with pytest.raises(Exception, match='_base_kd.py'):
        Config.fromfile(str(copied))
    out = str(tmp_path / 'exported.py')
    export_config.main([KD_DIGITS, out])
    assert Config.fromfile(out).model.type == 'CheckedSingleTeacherDistill'


def test_out_must_be_python(tmp_path):
    with pytest.raises(SystemExit):
        export_config.main([KD_DIGITS, str(tmp_path / 'kd.yaml')])


@pytest.mark.slow
def test_exported_config_trains_from_another_folder(digits_root,
                                                    digits_teacher_ckpt,
                                                    tmp_path):
    """MMRazor's installed tools/train.py runs the exported file in a
    deployment folder outside the repository."""
    import mmrazor
    deploy = tmp_path / 'deploy'
    out = str(deploy / 'configs' / 'kd_digits.py')
    export_config.main([KD_DIGITS, out])
    script = osp.join(osp.dirname(mmrazor.__file__), '.mim', 'tools',
                      'train.py')
    work = str(deploy / 'work_dirs' / 'kd')
    opts = short_run_options(digits_root, work, max_epochs=1, num_train=32)
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, '-m', 'mmkd_plus', script, 'configs/kd_digits.py',
         '--cfg-options', f'model.teacher_ckpt={digits_teacher_ckpt}',
         *opts],
        capture_output=True, text=True, env=env, cwd=str(deploy),
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    assert 'distill.loss_kd' in proc.stdout + proc.stderr
