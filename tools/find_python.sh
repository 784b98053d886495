#!/usr/bin/env bash
# Sourced by dist_train.sh and dist_test.sh: sets PYTHON to the interpreter
# that runs mmkd_plus, in the order the Makefile chooses its environment:
#   1. $PYTHON, if set (e.g. PYTHON=/opt/envs/kd/bin/python)
#   2. the active virtualenv ($VIRTUAL_ENV) or conda environment ($CONDA_PREFIX)
#   3. the .venv that `make demo` / `make test` created in this repository
#   4. python from PATH
# and stops with a clear message when that interpreter cannot import torch.
if [ -z "${PYTHON:-}" ]; then
    _MMKD_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
        PYTHON="$VIRTUAL_ENV/bin/python"
    elif [ -n "${CONDA_PREFIX:-}" ] && [ -x "$CONDA_PREFIX/bin/python" ]; then
        PYTHON="$CONDA_PREFIX/bin/python"
    elif [ -x "$_MMKD_REPO/.venv/bin/python" ]; then
        PYTHON="$_MMKD_REPO/.venv/bin/python"
    else
        PYTHON=python
    fi
fi
if ! "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
    echo "$(basename "$0"): the interpreter '$PYTHON' cannot import torch." \
         "Set PYTHON to the python of the environment where mmkd_plus is" \
         "installed (e.g. PYTHON=.venv/bin/python after make install)," \
         "or activate that environment." >&2
    exit 1
fi
