# One entry point for every section. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
# checkov has a virtualenv of its own (see pyproject.toml); only its `checkov` command is used,
# found on PATH after ours so `python` stays the project's.
CHECKOV_VENV ?= .cache/checkov-venv
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/$(CHECKOV_VENV)/bin:$(PATH)
# Ansible and other tools keep their state inside the ignored cache, not in $HOME.
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible
# Sections with their own Makefile (lint, optional bench/test-extra targets).
SECTIONS := infra docker auditscript cicd staticinfra monitoring architecture
SECTION_MAKEFILES := $(wildcard $(SECTIONS:%=%/Makefile))
PYTEST_ARGS ?=

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.synced: requirements.lock requirements-checkov.lock
	@command -v uv >/dev/null || python3 -m pip install -q uv
	@test -x $(PY) || uv venv -q --python 3.11 $(VENV) || uv venv -q $(VENV)
	VIRTUAL_ENV=$(VENV) uv pip sync -q requirements.lock
	@# checkov's bc-python-hcl2 and python-hcl2 share the hcl2/ folder: a sync that removes one
	@# can delete the other's files, so put python-hcl2 back whole.
	VIRTUAL_ENV=$(VENV) uv pip install -q --reinstall-package python-hcl2 -r requirements.lock
	@test -x $(CHECKOV_VENV)/bin/python || uv venv -q --python 3.11 $(CHECKOV_VENV)
	VIRTUAL_ENV=$(CHECKOV_VENV) uv pip sync -q requirements-checkov.lock
	@touch $@

.PHONY: venv
venv: $(VENV)/.synced ## Create the Python virtualenv from requirements.lock

# Code that ships to Python 3.8 hosts is tested on a real CPython 3.8 too (tests marked `py38`).
# tests/support/python38.sh finds it: $$PYTHON38, pyenv's layout, or python3.8 on PATH.
PY38_VENV ?= .cache/py38-venv
$(PY38_VENV)/.synced: requirements-py38.lock
	@py38=$$(bash tests/support/python38.sh) && \
	  { test -x $(PY38_VENV)/bin/python || uv venv -q --python "$$py38" $(PY38_VENV); }
	VIRTUAL_ENV=$(PY38_VENV) uv pip sync -q --require-hashes requirements-py38.lock
	@touch $@

.PHONY: lock
lock: ## Re-resolve requirements.lock and docker/app/requirements.txt
	uv pip compile -q --python-version 3.8 --generate-hashes docker/app/requirements.in -o docker/app/requirements.txt
	uv pip compile -q pyproject.toml --python-version 3.11 -o requirements.lock
	uv pip compile -q requirements-checkov.in --python-version 3.11 -o requirements-checkov.lock
	uv pip compile -q --python-version 3.8 --generate-hashes requirements-py38.in -o requirements-py38.lock

.PHONY: system-deps
system-deps: ## Install Debian packages the tests use (podman, promtool, wrk, graphviz, ...)
	bash tests/support/system-deps.sh

.PHONY: tools
tools: ## Build or reuse OpenTofu, tflint and the AWS provider mirror (cached in ~/.cache)
	bash infra/scripts/tools.sh

# Puts tofu/tflint on PATH and points TF_CLI_CONFIG_FILE at the provider mirror for one recipe.
TOOLS_ENV = eval "$$(bash infra/scripts/tools.sh --env)"

.PHONY: deps
deps: venv ## Install everything the tests drive: apt packages (as root) and the terraform tools
	@if [ "$$(id -u)" = 0 ]; then bash tests/support/system-deps.sh; \
	 else echo "[deps] not root: skipping apt packages; tests that need them will skip"; fi
	@if command -v go >/dev/null; then bash infra/scripts/tools.sh; \
	 else echo "[deps] no Go toolchain: terraform tools not built; their tests will skip"; fi

# Typed Python we ship or share; the 3.8 check covers what runs on hosts, agents and in the image.
MYPY_PATHS := $(wildcard docker/app auditscript cicd tests/support tests/bench tests/app)
PY38_PATHS := $(wildcard docker/app docker/healthcheck.py docker/entrypoint.py auditscript cicd/*.py cicd/route53check staticinfra/roles/ebs_host/files/host_identity.py)

.PHONY: lint
lint: deps ## Run every linter (ruff, mypy, vermin and each section's own)
	ruff check .
	ruff format --check .
	mypy $(MYPY_PATHS)
	vermin -t=3.8- --violations --no-tips --eval-annotations --backport typing $(PY38_PATHS)
	@$(TOOLS_ENV); for d in $(dir $(SECTION_MAKEFILES)); do \
	  echo "== lint $$d"; $(MAKE) --no-print-directory -C $$d lint; done

.PHONY: test
test: deps lint ## Install what is needed, lint, then run every test suite (then the py38 ones on 3.8)
	$(TOOLS_ENV); $(PY) -m pytest -m "not unfinished" $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-py38

.PHONY: test-py38
test-py38: ## Run the tests of code that ships to Python 3.8 on CPython 3.8 (second pass of `make test`)
	@if ! bash tests/support/python38.sh >/dev/null; then \
	  case "$${SRE_STRICT:-}" in ""|0|false) echo "[py38] skipped: no CPython 3.8 here" >&2; exit 0;; esac; \
	  echo "[py38] SRE_STRICT=1 and no CPython 3.8: set PYTHON38 or install 3.8 with pyenv" >&2; exit 1; fi
	@$(MAKE) --no-print-directory $(PY38_VENV)/.synced
	PATH="$(CURDIR)/$(PY38_VENV)/bin:$$PATH" SRE_PY38_ONLY=1 $(PY38_VENV)/bin/python -m pytest -m py38 $(PYTEST_ARGS)

.PHONY: rehearse-fresh
rehearse-fresh: ## Remove what the repo installed on this machine, then run .ci/run from a fresh clone
	bash tests/support/rehearse-fresh.sh

.PHONY: bench
bench: deps ## Run the benchmarks (ratios against baselines measured in the same run)
	$(PY) -m tests.bench.app_bench
	@for d in $(dir $(SECTION_MAKEFILES)); do \
	  if grep -q '^bench:' $$d/Makefile; then echo "== bench $$d"; $(MAKE) --no-print-directory -C $$d bench; fi; done

.PHONY: diagrams
diagrams: venv ## Regenerate the architecture diagrams (architecture/img) from code
	$(MAKE) --no-print-directory -C architecture diagrams

.PHONY: up down logs
up: ## Start the local containers (docker compose, see docker/README.md)
	$(MAKE) --no-print-directory -C docker up
down: ## Stop the local containers
	$(MAKE) --no-print-directory -C docker down
logs: ## Follow the local containers' logs
	$(MAKE) --no-print-directory -C docker logs

.PHONY: demo
demo: venv ## Start local AWS + the /user service and walk through every section (DEMO=container: in containers)
	$(PY) -m tests.support.demo $(if $(filter container,$(DEMO)),--container)

.PHONY: clean
clean: ## Remove virtualenv, caches and local output (keeps ~/.cache tool builds)
	rm -rf $(VENV) .cache logs .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
