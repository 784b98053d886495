# Copyright (c) OpenMMLab. All rights reserved.
"""tools/find_python.sh: dist_train.sh / dist_test.sh pick the interpreter
that has mmkd_plus, not whatever `python` is first on PATH."""
import os
import shutil
import subprocess
import sys

import pytest
from kd_test_utils import REPO


@pytest.fixture
def fake_repo(tmp_path):
    (tmp_path / 'tools').mkdir()
    shutil.copy(os.path.join(REPO, 'tools', 'find_python.sh'),
                tmp_path / 'tools')
    return tmp_path


def _link_python(folder):
    """``folder/bin/python``: runs this test's interpreter (and its env)."""
    (folder / 'bin').mkdir(parents=True)
    python = folder / 'bin' / 'python'
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    return str(python)


def _resolve(repo, **env):
    base = {'PATH': '/usr/bin:/bin', 'HOME': os.environ.get('HOME', '/')}
    proc = subprocess.run(
        ['bash', '-c', 'source tools/find_python.sh && echo "$PYTHON"'],
        cwd=str(repo), env=dict(base, **env), capture_output=True,
        text=True, timeout=120)
    return proc.returncode, proc.stdout.strip(), proc.stderr


def test_the_makefile_venv_is_used_outside_an_activated_env(fake_repo):
    venv = _link_python(fake_repo / '.venv')
    assert _resolve(fake_repo) == (0, venv, '')


def test_explicit_python_and_active_envs_come_first(fake_repo, tmp_path):
    _link_python(fake_repo / '.venv')
    active = _link_python(tmp_path / 'active')
    assert _resolve(fake_repo, VIRTUAL_ENV=str(tmp_path / 'active'))[1] == \
        active
    assert _resolve(fake_repo, CONDA_PREFIX=str(tmp_path / 'active'))[1] == \
        active
    assert _resolve(fake_repo, PYTHON=sys.executable,
                    VIRTUAL_ENV=str(tmp_path / 'active'))[1] == sys.executable


def test_an_interpreter_without_torch_is_refused(fake_repo, tmp_path):
    fake = tmp_path / 'notorch'
    fake.write_text('#!/bin/sh\nexit 1\n')
    fake.chmod(0o755)
    code, _, err = _resolve(fake_repo, PYTHON=str(fake))
    assert code == 1
    assert f"the interpreter '{fake}' cannot import torch" in err
    assert 'Set PYTHON to the python of the environment' in err
