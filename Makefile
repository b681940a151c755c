# Two commands do all the set-up on a fresh machine:
#   make run   -> creates .venv if missing, installs gaia-sim, runs scenarios/baseline.toml
#   make test  -> same set-up, then the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/baseline.toml

.PHONY: run test install clean bench

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	# torch first and pinned: 2.13.0 is the CPU build on disk; anything looser pulls a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/gaia-sim run $(SCENARIO)

test: install
	$(BIN)/python -m pytest -q -ra

bench: install
	$(BIN)/python benchmarks/bench_simulation.py

clean:
	rm -rf $(VENV) results .pytest_cache
