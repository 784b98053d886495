# mmkd_plus: the README's commands.
#   make demo          trains a teacher and distils students on the digits
#   make test          runs the test suite (on up to 4 cores)
#   make test-legacy   the drop-in tests in an MMRazor deployment (Python
#                      3.10, torch 1.13.1) that it builds in .venv-legacy
#
# demo/test use the active virtualenv/conda environment if there is one,
# otherwise they create .venv. Into .venv they install torch first and then
# exactly the tested set (requirements/tested.txt, passed with -c). Into an
# active environment they install only what is missing, with everything it
# already has (torch included) held at its version. A stamp file makes the
# second run quick.

PYTHON ?= python3
OWN_ENV_DIR := $(CURDIR)/.venv
ifneq ($(VIRTUAL_ENV),)
ENV_DIR := $(VIRTUAL_ENV)
else ifneq ($(CONDA_PREFIX),)
ENV_DIR := $(CONDA_PREFIX)
else
ENV_DIR := $(OWN_ENV_DIR)
endif
PY := $(ENV_DIR)/bin/python
STAMP := $(ENV_DIR)/.mmkd_plus-installed
TESTED := requirements/tested.txt
REQUIREMENTS := setup.py $(wildcard requirements/*.txt)
# mmcv and mmengine are not install_requires (a deployment brings its own,
# possibly the full mmcv): a fresh .venv gets mmcv-lite, no compiled ops
MM_STACK := mmengine mmcv-lite
# the range of requirements/mminstall.txt, e.g. >=2.0.0,<=2.1.0
MMCV_RANGE = $(shell sed -n 's/^mmcv\([<>=]\)/\1/p' requirements/mminstall.txt)
EXTRAS ?= cpu,demo,tests
PYTEST_ARGS ?=
# make test runs the suite in TEST_JOBS pytest-xdist workers (the cores, at
# most 4), one torch thread each unless OMP_NUM_THREADS is set: on 2 cores
# 11.6 min instead of 18 serially. TEST_JOBS=0 runs it in one process.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); \
	[ "$$n" -gt 4 ] && n=4; echo $$n)

.PHONY: install demo test test-legacy lint clean env-info

$(OWN_ENV_DIR)/bin/python:
	$(PYTHON) -m venv $(OWN_ENV_DIR)

ifeq ($(ENV_DIR),$(OWN_ENV_DIR))
# our own .venv: torch first, by the exact version of the tested set (an
# unpinned torch pulls a different, multi-GB CUDA build), then the rest
$(STAMP): $(REQUIREMENTS) | $(PY)
	$(PY) -m pip install --quiet -c $(TESTED) torch torchvision
	$(PY) -m pip install --quiet -c $(TESTED) $(MM_STACK) -e '.[$(EXTRAS)]'
	echo "$(EXTRAS)" > $(STAMP)

env-info:
	@true
else
# an active environment: never install torch into it; hold what it has
$(STAMP): $(REQUIREMENTS)
	@$(PY) -c 'import torch' 2>/dev/null || { echo "make: $(ENV_DIR) \
	is active but has no torch; install the torch build you want first \
	(tested: torch==2.13.0 torchvision==0.28.0), or deactivate it to let \
	make create .venv" >&2; exit 1; }
	$(PY) -m pip list --format=freeze --exclude mmkd_plus \
	    > $(ENV_DIR)/.mmkd_plus-held.txt
	$(PY) -c 'import mmcv' 2>/dev/null || $(PY) -m pip install --quiet \
	    -c $(ENV_DIR)/.mmkd_plus-held.txt 'mmcv-lite$(MMCV_RANGE)'
	$(PY) -m pip install --quiet -c $(ENV_DIR)/.mmkd_plus-held.txt \
	    -e '.[$(EXTRAS)]'
	echo "$(EXTRAS)" > $(STAMP)

env-info:
	@$(PY) -c 'import torch; print("make: using torch", torch.__version__, \
	"of the active environment $(ENV_DIR) (left as it is)")' 2>/dev/null \
	|| true
endif

install: env-info $(STAMP)

demo: env-info $(STAMP)
	$(PY) tools/demo.py

test: env-info $(STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) -m pytest tests \
	    -n $(TEST_JOBS) $(PYTEST_ARGS)

# ---------------------------------------------------------------------------
# make test-legacy: an MMRazor deployment of today (requirements/legacy.txt:
# Python 3.10, torch 1.13.1, mmcv-lite 2.0.1, mmpretrain 1.0.2, mmrazor
# 1.0.0) in .venv-legacy, the package installed into it from its own
# metadata, and the drop-in tests. torch 1.13.1 on PyPI is a CUDA build
# (about 1.8 GB with its nvidia-* wheels, no CPU-only wheel there): it is
# downloaded once into LEGACY_WHEELS and installed from there afterwards.
LEGACY_DIR := $(CURDIR)/.venv-legacy
LPY := $(LEGACY_DIR)/bin/python
LEGACY_STAMP := $(LEGACY_DIR)/.mmkd_plus-legacy-stack
LEGACY := requirements/legacy.txt
LEGACY_STACK := mmcv-lite mmengine mmpretrain mmrazor
LEGACY_WHEELS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mmkd_plus/wheels-legacy
LEGACY_TESTS ?= tests/test_packaging.py tests/test_dropin.py \
	tests/test_compat tests/test_registry.py \
	tests/test_models/test_losses/test_flag_buffer.py \
	tests/test_utils/test_checkpoint.py
# a Python 3.10: pyenv's, else python3.10 on PATH (override: PYTHON310=...)
PYTHON310 ?= $(shell for p in \
	"$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.10*/bin/python3.10 \
	python3.10; do "$$p" -c 'import sys; assert sys.version_info[:2] == \
	(3, 10)' 2>/dev/null && { command -v "$$p"; break; }; done)

$(LEGACY_STAMP): $(REQUIREMENTS)
	rm -rf $(LEGACY_DIR)
	$(FOUND_PYTHON310) -m venv $(LEGACY_DIR)
	$(LPY) -m pip download --quiet -d $(LEGACY_WHEELS) -c $(LEGACY) \
	    torch torchvision numpy
	$(LPY) -m pip install --quiet --no-index --find-links $(LEGACY_WHEELS) \
	    -c $(LEGACY) torch torchvision numpy
	$(LPY) -m pip install --quiet -c $(LEGACY) $(LEGACY_STACK)
	$(LPY) -m pip list --format=freeze > $(LEGACY_DIR)/deployment.txt
	# what installing the package would change in the deployment
	$(LPY) -m pip install --dry-run --quiet \
	    --report $(LEGACY_DIR)/dry-run.json .
	$(LPY) -m pip install --quiet -e '.[demo,tests]'
	touch $(LEGACY_STAMP)

ifneq ($(filter test-legacy,$(MAKECMDGOALS)),)
FOUND_PYTHON310 := $(PYTHON310)
endif
ifeq ($(FOUND_PYTHON310),)
test-legacy:
	@if [ "$(MMKD_PLUS_SKIP_LEGACY)" = 1 ]; then \
	  echo "make test-legacy: no Python 3.10 found; skipped" \
	    "(MMKD_PLUS_SKIP_LEGACY=1)"; exit 0; fi; \
	echo "make test-legacy: no Python 3.10 found (pyenv's" \
	  "versions/3.10.*, python3.10 on PATH). Install one" \
	  "(pyenv install 3.10), set PYTHON310=/path/to/python3.10, or set" \
	  "MMKD_PLUS_SKIP_LEGACY=1 to skip." >&2; exit 1
else
test-legacy: $(LEGACY_STAMP)
	@echo "make test-legacy: $(FOUND_PYTHON310), torch" \
	  "$$($(LPY) -c 'import torch; print(torch.__version__)')"
	MMKD_PLUS_DEPLOYMENT_DIR=$(LEGACY_DIR) $(LPY) -m pytest \
	    $(LEGACY_TESTS) -p no:cacheprovider $(PYTEST_ARGS)
endif

lint: $(STAMP)
	$(PY) -m pip install --quiet flake8 isort yapf
	$(PY) -m flake8 mmkd_plus tools tests
	$(PY) -m isort --check-only --diff mmkd_plus tools tests

clean:
	rm -rf work_dirs .pytest_cache
