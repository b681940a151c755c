# Two commands do all the set-up on a fresh machine:
#   make run   -> creates .venv if missing, installs gaia-sim, runs scenarios/baseline.toml
#   make test  -> same set-up, then the whole test suite
# The first install downloads/unpacks about 2.3 GB (torch alone ~750 MB) and prints pip's progress.
# Where pip would pick a CUDA build of torch (e.g. plain PyPI on Linux x86_64), take the CPU build with
#   make run TORCH_INDEX=https://download.pytorch.org/whl/cpu
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/baseline.toml
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
TORCH_ARGS := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),)
# the locked versions (pip constraints); `make install CONSTRAINTS=` lets them float
CONSTRAINTS ?= constraints.txt
LOCK_ARGS := $(if $(CONSTRAINTS),-c $(CONSTRAINTS),)

.PHONY: run test lint install clean bench lock

$(BIN)/python:
	@echo "==> [1/3] creating the virtual environment $(VENV)"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@echo "==> [2/3] installing $(TORCH) (CPU build; a looser pin can pull a multi-GB CUDA build)"
	$(BIN)/pip install $(TORCH_ARGS) $(TORCH)
	@echo "==> [3/3] installing gaia-sim and its dependencies at the versions in $(or $(CONSTRAINTS),no lock) (torch stays as installed)"
	$(BIN)/pip install $(LOCK_ARGS) -e '.[test]' '$(TORCH)'
	touch $(STAMP)
	@echo "==> installed; the environment takes $$(du -sh $(VENV) | cut -f1) on disk"

install: $(STAMP)

run: install
	$(BIN)/gaia-sim run $(SCENARIO)

# style (ruff lint + format check) and the one-way import contract (import-linter), before the tests
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: install lint
	GAIA_SIM_LOCK=$(CONSTRAINTS) $(BIN)/python -m pytest -q -ra

bench: install
	$(BIN)/python benchmarks/bench_simulation.py

# rewrite the lock from the environment as installed; after changing a dependency in pyproject.toml run
# `make lock CONSTRAINTS=` (the old lock may conflict with the new range); the header comments are kept
lock: install
	{ sed -n '/^#/p' constraints.txt 2>/dev/null; $(BIN)/pip freeze --exclude-editable | grep -iv '^torch=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) results .pytest_cache
