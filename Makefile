# mtls.clb developer entry points. Every target installs what it needs (`make install`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTION_LINK := build/collections/ansible_collections/mtls/clb
# The SDK ignores NO_PROXY: nothing we start here may go through a proxy to the local emulator.
unexport HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Test files run in parallel, each file on one worker (files whose tests build on each other stay in order).
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: install test lint sanity unit integration molecule compat pytest bench demo build clean

install: $(VENV)/.installed $(COLLECTION_LINK)

$(VENV)/.installed: requirements.txt test-requirements.txt $(wildcard emulator/pyproject.toml)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { found=$$($(PYTHON) --version 2>&1); \
	  echo "make install: $(PYTHON) is $$found; the tools need Python 3.11 or later: make PYTHON=python3.11 $(MAKECMDGOALS)" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r test-requirements.txt
	if [ -f emulator/pyproject.toml ]; then $(BIN)/python -m pip install --quiet --disable-pip-version-check -e ./emulator; fi
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

# lint, sanity, molecule, compat first; pytest (unit + integration) last, so its summary line ends the run.
test: install lint sanity molecule compat pytest

lint: install
	$(BIN)/ansible-lint --profile production

sanity: install
	scripts/sanity.sh

molecule: install
	scripts/molecule.sh

# The demo and ansible-test sanity with the oldest and the newest supported ansible-core,
# each in a venv of its own (build/compat/).
compat: $(COLLECTION_LINK)
	scripts/compat.sh $(CORES)

unit: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

integration: install
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

pytest: install
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

demo: install
	scripts/demo.sh $(if $(KEEP),--keep)

build: install
	mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build .

clean:
	rm -rf build .pytest_cache tests/output
