# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers of the compat tests: a Python process with some fixes left out,
and a one-process group."""
import os
import subprocess
import sys

from kd_test_utils import REPO

from mmkd_plus import compat

__all__ = ['run_python']


def run_python(code: str, skip: str = '') -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=REPO)
    env[compat.SKIP_ENV] = skip
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          env=env,
                          timeout=300)
