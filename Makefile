# mmkd_plus: the two commands of the README.
#   make demo   trains a teacher and distils students on the bundled digits
#   make test   runs the test suite
# Each uses the active virtualenv/conda environment if there is one, and
# otherwise creates .venv; it installs what is missing (quick the second
# time: a stamp file records what was installed from which setup.py).

PYTHON ?= python3
ifneq ($(VIRTUAL_ENV),)
ENV_DIR := $(VIRTUAL_ENV)
else ifneq ($(CONDA_PREFIX),)
ENV_DIR := $(CONDA_PREFIX)
else
ENV_DIR := $(CURDIR)/.venv
endif
PY := $(ENV_DIR)/bin/python
STAMP := $(ENV_DIR)/.mmkd_plus-installed
# torch first, by exact version: an unpinned torch/torchvision pulls a
# different (multi-GB CUDA) build
TORCH_PINS := torch==2.13.0 torchvision==0.28.0
EXTRAS ?= cpu,tests
PYTEST_ARGS ?=

.PHONY: install demo test lint clean

$(PY):
	$(PYTHON) -m venv $(ENV_DIR)

$(STAMP): setup.py | $(PY)
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	echo "$(EXTRAS)" > $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo.py

test: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m pip install --quiet flake8 isort yapf
	$(PY) -m flake8 mmkd_plus tools tests
	$(PY) -m isort --check-only --diff mmkd_plus tools tests

clean:
	rm -rf work_dirs .pytest_cache
